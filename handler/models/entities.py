"""The built-in text model: a rules-based entity finder for text assets, no download, no weights.

It finds e-mail addresses, URLs, phone numbers, dates, amounts of money and IBANs with regular
expressions, then checks what a pattern cannot: an IBAN's mod-97 checksum, a date's calendar (no
31 February), a phone number's count of digits. Where two finds overlap, the earlier kind in
`PRIORITY` keeps the characters (a URL holding an e-mail address is a URL; the digits of an IBAN
are not a phone number). Finds carry no score: rules are not probabilities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from handler.contract.model import PredictContext, Prediction, Span
from handler.models.specs import ENTITIES, EntitiesConfig

MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_MONTH_NUMBER = {
    name: n for n, names in enumerate(MONTHS.split("|")[:12], start=1) for name in (names, names[:3])
}
_MONTH_NUMBER["sept"] = 9

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_AMOUNT = r"\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?:[$€£¥]|\b(?:USD|EUR|GBP|JPY|CHF)\s?)(?:{_AMOUNT})"
    rf"|\b(?:{_AMOUNT})\s?(?:[$€£¥]|(?:USD|EUR|GBP|JPY|CHF|dollars?|euros?|pounds?)\b)",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})([./])(\d{1,2})\2(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({MONTHS})\.? (\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({MONTHS})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+(])(?:\+|00)?\(?\d[\d ().-]{3,}\d(?![\w])")  # digits counted below
# Digits shaped like a date are not a phone number, even when the date is not a real one.
_DATE_SHAPED = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}([./])\d{1,2}\1\d{4}")

Find = tuple[int, int]  # [start, end) in the text


class EntityFinder:
    spec = ENTITIES

    def predict(
        self, texts: Sequence[str], context: PredictContext[EntitiesConfig]
    ) -> list[list[Prediction]]:
        return [find_entities(text, context.config) for text in texts]


def find_entities(text: str, config: EntitiesConfig) -> list[Prediction]:
    finders: dict[str, Callable[[str], Iterator[Find]]] = {
        "url": _urls,
        "email": lambda t: _matches(_EMAIL, t),
        "iban": _ibans,
        "date": _dates,
        "money": lambda t: _matches(_MONEY, t),
        "phone": lambda t: _phones(t, config.phone_min_digits),
    }
    taken: list[Find] = []
    found = []
    for kind in PRIORITY:
        for start, end in finders[kind](text):
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            found.append(Prediction(class_name=kind, shape=Span(start=start, end=end)))
    return sorted(found, key=lambda p: p.shape.start)  # type: ignore[union-attr]


PRIORITY = ("url", "email", "iban", "date", "money", "phone")


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[Find]:
    for match in pattern.finditer(text):
        yield match.span()


def _urls(text: str) -> Iterator[Find]:
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".,;:!?)]}'\"":  # sentence punctuation after a link
            end -= 1
        yield start, end


def _ibans(text: str) -> Iterator[Find]:
    for match in _IBAN.finditer(text):
        if _iban_checksum_ok(match.group().replace(" ", "")):
            yield match.span()


def _iban_checksum_ok(iban: str) -> bool:
    """ISO 13616: the country and check digits moved to the end, letters as 10..35, mod 97 is 1."""
    if not 15 <= len(iban) <= 34:
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _dates(text: str) -> Iterator[Find]:
    for match in _ISO_DATE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if _real_date(year, month, day):
            yield match.span()
    for match in _NUMERIC_DATE.finditer(text):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        # 03/04/2025: day-month or month-day; either real reading makes it a date.
        if _real_date(year, second, first) or _real_date(year, first, second):
            yield match.span()
    for match in _DAY_MONTH_YEAR.finditer(text):
        if _real_date(int(match[3]), _MONTH_NUMBER[match[2].lower()], int(match[1])):
            yield match.span()
    for match in _MONTH_DAY_YEAR.finditer(text):
        if _real_date(int(match[3]), _MONTH_NUMBER[match[1].lower()], int(match[2])):
            yield match.span()


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _phones(text: str, min_digits: int) -> Iterator[Find]:
    for match in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        if _DATE_SHAPED.fullmatch(match.group()):
            continue
        if min_digits <= digits <= 15:  # E.164 numbers have at most 15 digits
            yield match.span()


create = EntityFinder
