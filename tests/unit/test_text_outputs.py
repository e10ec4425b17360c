"""Text assets through the outputs: a span is checked where the model hands it over, clipped to the
text, refused in an image model's spec, and the emulator takes `ner` only on a text within it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handler.assets import AssetError, AssetNotReadError
from handler.contract.messages import AssetRef
from handler.contract.model import ModelSpec, NoConfig, Prediction
from handler.contract.records import ClassTarget
from handler.media.text import decode_text, text_size
from handler.outputs.prelabels import build_item
from handler.outputs.shapes import Span
from infra.emulator.imports import check_span
from infra.emulator.model import Asset

pytestmark = pytest.mark.unit


def test_a_span_ends_after_it_starts_at_a_whole_offset() -> None:
    assert Span(start=0, end=1).kind == "ner"
    for bad in ({"start": 3, "end": 3}, {"start": -1, "end": 2}, {"start": 1.5, "end": 4}):
        with pytest.raises(ValidationError):
            Span(**bad)


def test_spans_are_clipped_to_the_text_and_one_wholly_outside_is_dropped() -> None:
    text = "hello world"
    targets = {"word": ClassTarget(model_class="word", schema_id="w", tool="ner")}
    predictions = [
        Prediction(class_name="word", shape=Span(start=6, end=40)),
        Prediction(class_name="word", shape=Span(start=20, end=25)),
    ]
    asset = AssetRef(asset_id="a", external_id="a.txt", data_url="http://x/a.txt")
    labels = build_item("run", asset, text_size(text), predictions, targets)
    assert [o["ner"] for o in labels.item["objects"]] == [{"start": 6, "end": 11}]  # type: ignore[index]
    assert labels.dropped == 1


def test_a_spec_reads_images_or_texts_and_its_kinds_must_fit() -> None:
    with pytest.raises(ValueError, match="spans \\(ner\\) are for text models"):
        ModelSpec(classes={"Name": "ner"}, config=NoConfig)
    with pytest.raises(ValueError, match="a text model's objects are spans"):
        ModelSpec(classes={"Box": "bounding-box"}, config=NoConfig, media="text")
    assert ModelSpec(classes={"Name": "ner", "topic": "tag"}, config=NoConfig, media="text").media == "text"


def test_text_is_read_as_utf8_and_other_content_is_counted_by_kind() -> None:
    assert decode_text("\ufeffZürich".encode()) == "Zürich"  # the byte-order mark is not text
    with pytest.raises(AssetNotReadError) as other:
        decode_text(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert other.value.kind == "image"
    with pytest.raises(AssetError, match="not UTF-8 text"):
        decode_text("caf\u00e9".encode("latin-1") + b" au lait")


def test_the_emulator_takes_ner_only_on_a_text_and_within_it() -> None:
    text = Asset("t", "t.txt", "t.txt", "text/plain", "Zürich 8000".encode(), 0, 0)
    picture = Asset("p", "p.png", "p.png", "image/png", b"", 10, 10)
    assert check_span({"start": 0, "end": 6}, text) is None  # code points: ü is one
    assert "not within the text's 11 characters" in (check_span({"start": 7, "end": 12}, text) or "")
    assert "whole numbers" in (check_span({"start": 0.5, "end": 2}, text) or "")
    assert "ner is for text assets" in (check_span({"start": 0, "end": 1}, picture) or "")
