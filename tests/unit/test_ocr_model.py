"""The built-in OCR model on pictures of known text (infra/text_pictures.py): it reads the words, puts
each line in a rotated box where the line was drawn, and its config changes what it returns."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections import Counter

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from handler.contract.model import (
    BUILTIN_SPECS,
    PredictContext,
    Prediction,
    RotatedBox,
    Text,
    load_model_factory,
)
from handler.models.ocr import RapidOcrModel, rotated_box_from_quad
from handler.models.specs import OCR, OcrConfig
from infra import text_pictures
from infra.text_pictures import TextPicture

pytestmark = pytest.mark.unit
DEFAULTS = PredictContext(OcrConfig())
XY = tuple[float, float]
Read = dict[str, tuple[TextPicture, list[Prediction]]]


@pytest.fixture(scope="module")
def model() -> RapidOcrModel:
    return RapidOcrModel()  # about half a second: loading three ONNX networks


@pytest.fixture(scope="module")
def read(model: RapidOcrModel) -> dict[str, tuple[TextPicture, list[Prediction]]]:
    """Each picture by name, with what the model found in it (all in one batch)."""
    pictures = text_pictures.all_pictures()
    found = model.predict([p.image for p in pictures], DEFAULTS)
    return {p.name: (p, predictions) for p, predictions in zip(pictures, found, strict=True)}


def test_it_reads_nine_words_in_ten(read: Read) -> None:
    for picture, predictions in read.values():
        drawn, found = Counter(_words(" ".join(picture.words))), Counter(_words(_text(predictions)))
        recall = sum((drawn & found).values()) / sum(drawn.values())
        assert recall >= 0.9, (picture.name, _text(predictions))


def test_each_line_is_a_rotated_box_in_the_image_around_where_it_was_drawn(
    read: Read,
) -> None:
    for picture, predictions in read.values():
        height, width = picture.image.shape[:2]
        boxes = []
        for region in predictions:
            assert region.class_name == "text-line" and isinstance(region.shape, RotatedBox)
            assert region.score is not None and 0 <= region.score <= 1
            (answer,) = region.answers
            assert answer.class_name == "text" and isinstance(answer.shape, Text)
            assert answer.score == region.score
            corners = _corners(region.shape)
            assert all(-0.01 <= x <= width + 0.01 and -0.01 <= y <= height + 0.01 for x, y in corners)
            boxes.append(region.shape)
        # Every region sits on drawn ink; all along each drawn line lies some region (a wide gap
        # between words may split a line in two).
        drawn = [_grown(line.corners, 12) for line in picture.lines]
        for box in boxes:
            assert any(_inside(_centre(box), ink) for ink in drawn), (picture.name, box)
        for line in picture.lines:
            (x0, y0), (x1, y1), _, (x3, y3) = line.corners
            for t in (0.1, 0.3, 0.5, 0.7, 0.9):
                point = ((x0 + x3) / 2 + t * (x1 - x0), (y0 + y3) / 2 + t * (y1 - y0))
                assert any(_inside(point, _corners(box)) for box in boxes), (picture.name, line.text, t)


def test_a_turned_line_is_read_at_its_angle(read: Read) -> None:
    picture, predictions = read["rotated-line"]
    assert predictions
    for line in predictions:
        assert isinstance(line.shape, RotatedBox)
        assert abs(line.shape.rotation - picture.lines[0].rotation) < 2


def test_a_blank_image_gives_nothing(model: RapidOcrModel) -> None:
    assert model.predict([np.full((240, 320, 3), 255, np.uint8)], DEFAULTS) == [[]]


def test_min_text_score_drops_the_lines_read_with_less(model: RapidOcrModel, read: Read) -> None:
    picture, predictions = read["street-sign"]  # several lines, their scores apart
    scores = [line.score or 0 for line in predictions]
    between = (min(scores) + max(scores)) / 2
    (kept,) = model.predict([picture.image], PredictContext(OcrConfig(min_text_score=between)))
    assert 0 < len(kept) < len(predictions)
    assert all((line.score or 0) >= between for line in kept)


def test_a_large_image_is_read_downscaled_in_its_own_pixels(model: RapidOcrModel) -> None:
    picture = text_pictures.street_sign()
    large = cv2.resize(picture.image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    config = OcrConfig(max_image_side=max(picture.image.shape))  # back to the original size
    (predictions,) = model.predict([large], PredictContext(config))
    assert set(_words(_text(predictions))) >= set(_words(" ".join(picture.words)))
    drawn = [_grown(tuple((2 * x, 2 * y) for x, y in line.corners), 24) for line in picture.lines]
    for line in predictions:
        assert isinstance(line.shape, RotatedBox)
        assert any(_inside(_centre(line.shape), ink) for ink in drawn)


def test_an_upright_quad_is_its_box() -> None:
    quad = np.array([[10, 20], [110, 20], [110, 60], [10, 60]], dtype=np.float64)
    assert rotated_box_from_quad(quad, 640, 480) == RotatedBox(x=10, y=20, width=100, height=40, rotation=0)


def test_a_turned_quad_keeps_its_centre_size_and_angle() -> None:
    # A 100 x 40 box turned 30 degrees clockwise about (200, 150).
    box = RotatedBox(x=150, y=130, width=100, height=40, rotation=30)
    turned = rotated_box_from_quad(np.array(_corners(box)), 640, 480)
    assert turned is not None
    assert turned.rotation == pytest.approx(30)
    assert (turned.x, turned.y, turned.width, turned.height) == pytest.approx((150, 130, 100, 40))


def test_a_quad_over_the_edge_is_kept_inside_and_a_point_is_dropped() -> None:
    # Averaging its uneven sides gives a box wider than the 100-pixel image.
    quad = np.array([[0, 0], [100, 0], [104, 40], [0, 40]], dtype=np.float64)
    box = rotated_box_from_quad(quad, 100, 40)
    assert box is not None and box.width <= 100 and box.height <= 40
    assert all(-1e-9 <= x <= 100 + 1e-9 and -1e-9 <= y <= 40 + 1e-9 for x, y in _corners(box))
    assert rotated_box_from_quad(np.full((4, 2), 7.0), 100, 40) is None


def test_the_spec_nests_the_text_in_its_line() -> None:
    assert OCR.classes == {"text-line": "rotated-bounding-box", "text": "text"}
    assert OCR.nested == {"text": "text-line"}
    assert load_model_factory("ocr").spec is OCR
    assert OCR.default_config["min_text_score"] == 0.5


def test_the_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        OcrConfig.model_validate({"use_angle_cls": 1})
    with pytest.raises(ValidationError):
        OcrConfig.model_validate({"min_text_scor": 0.3})


def test_without_rapidocr_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import raises ImportError
    with pytest.raises(RuntimeError, match=r"'\.\[ocr\]'.*--no-deps rapidocr-onnxruntime==1\.4\.4"):
        RapidOcrModel()


def test_the_builtin_specs_need_none_of_the_models_libraries() -> None:
    # A fresh interpreter: this one has imported them for the tests above.
    probe = (
        "import sys; from handler.contract.model import BUILTIN_SPECS, load_model_spec; "
        "[load_model_spec(name) for name in BUILTIN_SPECS]; "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
        "{'cv2', 'rapidocr_onnxruntime', 'onnxruntime', 'shapely', 'pyclipper'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    assert {"ocr", "quality"} <= set(BUILTIN_SPECS)


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[^\w]+", text.lower()) if word]


def _text(predictions: list[Prediction]) -> str:
    return " ".join(a.shape.text for line in predictions for a in line.answers if isinstance(a.shape, Text))


def _centre(box: RotatedBox) -> XY:
    return box.x + box.width / 2, box.y + box.height / 2


def _corners(box: RotatedBox) -> list[XY]:
    """Top-left, top-right, bottom-right, bottom-left, turned clockwise about the centre."""
    cx, cy = _centre(box)
    cos, sin = math.cos(math.radians(box.rotation)), math.sin(math.radians(box.rotation))
    half = ((-1, -1), (1, -1), (1, 1), (-1, 1))
    return [
        (cx + sx * box.width / 2 * cos - sy * box.height / 2 * sin,
         cy + sx * box.width / 2 * sin + sy * box.height / 2 * cos)
        for sx, sy in half
    ]  # fmt: skip


def _grown(corners: tuple[XY, ...], by: float) -> list[XY]:
    """A convex quad moved `by` pixels outwards from its centre along each axis of the quad."""
    (x0, y0), (x1, y1), _, (x3, y3) = corners
    width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
    box = RotatedBox(
        x=sum(x for x, _ in corners) / 4 - (width + 2 * by) / 2,
        y=sum(y for _, y in corners) / 4 - (height + 2 * by) / 2,
        width=width + 2 * by,
        height=height + 2 * by,
        rotation=math.degrees(math.atan2(y1 - y0, x1 - x0)),
    )
    return _corners(box)


def _inside(point: XY, quad: list[XY]) -> bool:
    """Inside a convex quad given clockwise (as the screen shows it, y down)."""
    px, py = point
    edges = zip(quad, quad[1:] + quad[:1], strict=True)
    return all((bx - ax) * (py - ay) - (by - ay) * (px - ax) >= -1e-6 for (ax, ay), (bx, by) in edges)
