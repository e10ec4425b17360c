"""A stand-in for a remote GPU model: a fixed delay per batch, one box per image.

A tool for users as much as for the benchmark: with `ANGO_BATCH_MODEL=fixed-latency` a deployment
can be tried end to end, and its throughput measured, before a real model is plugged in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from handler.contract.model import BoundingBox, Image, PredictContext, Prediction
from handler.models.specs import FIXED_LATENCY, FixedLatencyConfig


class FixedLatencyModel:
    spec = FIXED_LATENCY

    def predict(
        self, images: Sequence[Image], context: PredictContext[FixedLatencyConfig]
    ) -> list[list[Prediction]]:
        time.sleep(context.config.seconds_per_batch)
        return [[self._centre_box(image)] for image in images]

    @staticmethod
    def _centre_box(image: Image) -> Prediction:
        height, width = image.shape[:2]
        box = BoundingBox(x=width / 4, y=height / 4, width=width / 2, height=height / 2)
        return Prediction(class_name="Object", shape=box)


create = FixedLatencyModel
