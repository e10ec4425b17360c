"""The endpoint runtime's errors, and the one place an endpoint's words are made safe to repeat.

A failed request's exception message is the endpoint's reason, because the runner logs it for the
image that failed; it is cut short, flattened to one line, and scrubbed of the credentials this
process sends (a server may echo a request's headers back) and of anything that looks like one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from handler.contract import redaction
from handler.contract.retry import TransientError

REASON_LIMIT = 200  # characters of an endpoint's message kept in an exception
_SCHEMES = re.compile(r"(?i)\b(bearer|basic|token|apikey)\s+[^\s,;\"']+")
_PAIRS = re.compile(
    r"(?i)\b(api[_-]?key|token|secret|password|signature|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s,;&\"']+"
)
_MESSAGE_KEYS = ("error", "message", "Message", "detail", "errorMessage", "reason")


class EndpointError(Exception):
    """A request the endpoint did not answer usefully: its message is the endpoint's reason."""


class BadResponseError(EndpointError):
    """The endpoint answered 2xx with something the spec's output section cannot read."""


class RetryableEndpointError(TransientError):
    """A throttle, a busy or restarting model, a dropped connection: worth another attempt."""


def sanitise(text: str, secrets: Iterable[str] = (), limit: int = REASON_LIMIT) -> str:
    """One short line of `text` with no secret of this process in it."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, redaction.MASK)
    text = redaction.SECRETS.redact(text)
    text = _SCHEMES.sub(lambda m: f"{m.group(1)} {redaction.MASK}", text)
    text = _PAIRS.sub(lambda m: f"{m.group(1)}{m.group(2)}{redaction.MASK}", text)
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def body_reason(body: bytes) -> str:
    """What an error body says: a JSON error's message, a Python traceback's last line (a debug
    server's answer), a text body; nothing from an HTML page."""
    text = body[:4096].decode("utf-8", errors="replace").strip()
    if text.startswith("<"):
        return ""  # an HTML error page: its words are layout, not a reason
    if text.startswith("Traceback (most recent call last)"):
        lines = body[-4096:].decode("utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else ""
    try:
        document = json.loads(text)
    except ValueError:
        return text
    if isinstance(document, dict):
        for key in _MESSAGE_KEYS:
            value = document.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("Message")
            if isinstance(value, str) and value.strip():
                return value
    return text
