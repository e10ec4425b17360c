"""The built-in default model: OpenCV's Haar-cascade frontal-face detector.

A real detector that needs no download: opencv-python-headless ships the cascade files. It is
CPU-bound, which makes it a fair stand-in for "inference sets the pace". OpenCV is imported by the
detector itself, not by this module; the spec and config live in handler/models/specs.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from handler.contract.model import BoundingBox, Image, PredictContext, Prediction
from handler.models.specs import HAAR, HaarConfig

CASCADE_FILE = "haarcascade_frontalface_default.xml"


class HaarFaceDetector:
    spec = HAAR

    def __init__(self) -> None:
        import cv2

        path = Path(cv2.data.haarcascades) / CASCADE_FILE  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV could not load its cascade {path}")

    def predict(self, images: Sequence[Image], context: PredictContext[HaarConfig]) -> list[list[Prediction]]:
        return [self._detect(image, context.config) for image in images]

    def _detect(self, image: Image, config: HaarConfig) -> list[Prediction]:
        import cv2  # imported by __init__ already: a dictionary lookup

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, config.max_image_side / max(gray.shape))
        if scale < 1.0:
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        min_side = max(8, round(config.min_size * scale))
        faces = self._cascade.detectMultiScale(
            gray,
            scaleFactor=config.scale_factor,
            minNeighbors=config.min_neighbors,
            minSize=(min_side, min_side),
        )
        return [
            Prediction(
                class_name="Face",
                shape=BoundingBox(x=x / scale, y=y / scale, width=w / scale, height=h / scale),
            )
            for (x, y, w, h) in faces
        ]


create = HaarFaceDetector
