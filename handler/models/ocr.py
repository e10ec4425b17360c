"""The built-in OCR model: RapidOCR, PaddleOCR's PP-OCRv4 text detector, angle classifier and
recogniser as ONNX files inside its wheel, run on ONNX Runtime's CPU provider.

Each line of text found becomes a `text-line` rotated box that carries the string read in it as a
nested `text` answer. rapidocr is imported by the model, not by this module; the spec and config live
in handler/models/specs.py. Its install is unusual (one OpenCV only): see ocr-requirements.txt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from handler.contract.model import Image, PredictContext, Prediction, RotatedBox, Text
from handler.models.specs import OCR, OcrConfig

REQUIREMENTS = Path(__file__).with_name("ocr-requirements.txt")
# rapidocr downscales images over 2000 pixels a side by itself; raised to the config's largest
# max_image_side, so that the run's config is the only cap.
ENGINE_MAX_SIDE = 8192


class RapidOcrModel:
    spec = OCR

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise RuntimeError(f"the ocr model cannot import rapidocr ({exc}): {install_hint()}") from exc
        # ONNX Runtime's own thread default (one per physical core) suits one predict at a time.
        self._engine = RapidOCR(max_side_len=ENGINE_MAX_SIDE)

    def predict(self, images: Sequence[Image], context: PredictContext[OcrConfig]) -> list[list[Prediction]]:
        return [self._read(image, context.config) for image in images]

    def _read(self, image: Image, config: OcrConfig) -> list[Prediction]:
        import cv2  # rapidocr imported it already: a dictionary lookup

        height, width = image.shape[:2]
        scale = min(1.0, config.max_image_side / max(height, width))
        small = (
            cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
        )
        # An array goes in as it is: rapidocr turns only files, bytes and PIL images into BGR, which
        # is what its networks take. Any keyword resets all three thresholds (those not given to
        # rapidocr's defaults), so all three are always given.
        lines, _ = self._engine(
            small,
            use_cls=config.use_angle_cls,
            box_thresh=config.box_thresh,
            unclip_ratio=config.unclip_ratio,
            text_score=config.min_text_score,
        )
        predictions = []
        for quad, text, score in lines or ():  # None when nothing was found
            box = rotated_box_from_quad(np.asarray(quad, dtype=np.float64) / scale, width, height)
            if box is None or not text.strip():
                continue
            score = min(1.0, max(0.0, float(score)))
            read = Prediction(class_name="text", shape=Text(text=text.strip()), score=score)
            predictions.append(Prediction(class_name="text-line", shape=box, score=score, answers=(read,)))
        return predictions


def rotated_box_from_quad(
    quad: npt.NDArray[np.float64], image_width: int, image_height: int
) -> RotatedBox | None:
    """The rotated box of a quadrilateral given as top-left, top-right, bottom-right, bottom-left
    corners (rapidocr's order), kept inside the image; None for a box under a pixel thick.

    The quad is near-rectangular, not exactly: its opposite sides are averaged, and its turn is the
    top edge's angle (clockwise-positive, as y points down)."""
    p0, p1, p2, p3 = quad
    width = float(np.linalg.norm(p1 - p0) + np.linalg.norm(p2 - p3)) / 2
    height = float(np.linalg.norm(p3 - p0) + np.linalg.norm(p2 - p1)) / 2
    angle = math.atan2(p1[1] - p0[1], p1[0] - p0[0])  # in -pi..pi already
    cx, cy = (float(c) for c in quad.mean(axis=0))
    if width < 1 or height < 1:
        return None
    # Averaging may leave a corner a little outside the image where the quad touched its edge: shrink
    # the box until its extent fits the image, then slide its centre inside.
    half_x = (width * abs(math.cos(angle)) + height * abs(math.sin(angle))) / 2
    half_y = (width * abs(math.sin(angle)) + height * abs(math.cos(angle))) / 2
    shrink = min(1.0, image_width / (2 * half_x), image_height / (2 * half_y))
    width, height, half_x, half_y = width * shrink, height * shrink, half_x * shrink, half_y * shrink
    if width < 1 or height < 1:  # shrunk into a tiny image
        return None
    cx = min(max(cx, half_x), image_width - half_x)
    cy = min(max(cy, half_y), image_height - half_y)
    return RotatedBox(
        x=float(cx - width / 2),
        y=float(cy - height / 2),
        width=float(width),
        height=float(height),
        rotation=math.degrees(angle),
    )


def install_hint() -> str:
    """How to install rapidocr beside opencv-python-headless, from the one pin in the repository."""
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    return (
        f"from the repository root, pip install '.[ocr]' && pip install --no-deps {' '.join(pins)} "
        "(--no-deps: the rapidocr wheel asks for opencv-python, which clashes with "
        "opencv-python-headless; `make .venv/.installed` does both)"
    )


create = RapidOcrModel
