"""A test model that takes JPEG files as they are (`takes_encoded`), as the endpoint runtime does:
one box per picture, the picture's left half, and a note of what each call was given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handler.contract.model import BoundingBox, EncodedImage, Image, PredictContext, Prediction
from handler.models.specs import FIXED_LATENCY, FixedLatencyConfig

GIVEN: list[str] = []  # "jpeg file" or "array", per picture, in order


class EncodedModel:
    spec = FIXED_LATENCY
    takes_encoded = frozenset({"jpeg"})

    def predict(
        self, images: Sequence[Image | EncodedImage], context: PredictContext[FixedLatencyConfig]
    ) -> list[list[Prediction]]:
        return [[self._left_half(image)] for image in images]

    @staticmethod
    def _left_half(image: Any) -> Prediction:
        if isinstance(image, EncodedImage):
            GIVEN.append(f"{image.format} file")
            width, height = image.width, image.height
        else:
            GIVEN.append("array")
            height, width = image.shape[:2]
        return Prediction(class_name="Object", shape=BoundingBox(x=0, y=0, width=width / 2, height=height))


create = EncodedModel
