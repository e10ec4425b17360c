"""The built-in text model (handler/models/entities.py): rules that find entities, with the checks
a pattern alone cannot make."""

from __future__ import annotations

import pytest

from handler.contract.model import PredictContext
from handler.models.entities import EntityFinder, find_entities
from handler.models.specs import ENTITIES, EntitiesConfig
from handler.outputs.shapes import Span
from infra import demo_data

pytestmark = pytest.mark.unit


def found(text: str, **config: int) -> list[tuple[str, str]]:
    spans = find_entities(text, EntitiesConfig(**config))
    assert all(isinstance(p.shape, Span) for p in spans)
    return [(p.class_name, text[p.shape.start : p.shape.end]) for p in spans]  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "text"), [(name, body) for name, (body, _) in demo_data.TEXTS.items()])
def test_the_demo_texts_yield_exactly_their_entities_in_order(name: str, text: str) -> None:
    assert found(text) == list(demo_data.TEXTS[name][1])


def test_checks_a_pattern_cannot_make_keep_lookalikes_out() -> None:
    assert found("IBAN DE89 3704 0044 0532 0130 00") == [("iban", "DE89 3704 0044 0532 0130 00")]
    assert found("IBAN DE00 3704 0044 0532 0130 00") == []  # a wrong check digit; too many digits for a phone
    assert found("on 2025-02-30 and 31.04.2025") == []  # no such days, and not phone numbers either
    assert found("on 29.02.2024 or 2024-02-29") == [("date", "29.02.2024"), ("date", "2024-02-29")]
    assert found("order 123456, room 12") == []  # too few digits for a phone
    assert found("order 123456", phone_min_digits=6) == [("phone", "123456")]


def test_overlapping_finds_go_to_the_earlier_kind() -> None:
    text = "see https://user@example.com/x. or mail user@example.com."
    assert found(text) == [("url", "https://user@example.com/x"), ("email", "user@example.com")]


def test_it_is_a_text_model_of_spans_and_predicts_per_text() -> None:
    assert ENTITIES.media == "text" and set(ENTITIES.classes.values()) == {"ner"}
    context = PredictContext(config=EntitiesConfig())
    assert EntityFinder().predict(["mail a@b.org", "nothing here"], context)[1] == []
