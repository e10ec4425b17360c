"""A test model that scores its boxes: three per image, of class "Object", scored 0.9, 0.5 and 0.2
(the fixed-latency stand-in's spec and config), for the output policy's tests (min_score,
max_objects) and for a report with a score histogram."""

from __future__ import annotations

import time
from collections.abc import Sequence

from handler.contract.model import BoundingBox, Image, PredictContext, Prediction
from handler.models.specs import FIXED_LATENCY, FixedLatencyConfig

SCORES = (0.9, 0.5, 0.2)


class ScoredModel:
    spec = FIXED_LATENCY

    def predict(
        self, images: Sequence[Image], context: PredictContext[FixedLatencyConfig]
    ) -> list[list[Prediction]]:
        time.sleep(context.config.seconds_per_batch)
        return [self._boxes(image) for image in images]

    @staticmethod
    def _boxes(image: Image) -> list[Prediction]:
        height, width = image.shape[:2]
        return [
            Prediction(
                class_name="Object",
                shape=BoundingBox(x=width * n / 8, y=height * n / 8, width=width / 3, height=height / 3),
                score=score,
            )
            for n, score in enumerate(SCORES, start=1)
        ]


create = ScoredModel
