"""A stand-in for a remote GPU model: a fixed delay per batch, one box per image.

Used by the benchmark to show how the pipeline scales when the model is not CPU-bound here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from handler.contract.model import BoundingBox, Image, ModelSpec, PredictContext, Prediction


class FixedLatencyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    seconds_per_batch: float = Field(0.2, ge=0, le=60)


class FixedLatencyModel:
    spec = ModelSpec(
        classes={"Object": "bounding-box"},
        config=FixedLatencyConfig,
        description="sleeps a fixed time per batch, then returns one centred box per image",
        default_config=FixedLatencyConfig().model_dump(),
    )

    def predict(self, images: Sequence[Image], context: PredictContext) -> list[list[Prediction]]:
        config = context.config
        assert isinstance(config, FixedLatencyConfig)
        time.sleep(config.seconds_per_batch)
        return [[self._centre_box(image)] for image in images]

    @staticmethod
    def _centre_box(image: Image) -> Prediction:
        height, width = image.shape[:2]
        box = BoundingBox(x=width / 4, y=height / 4, width=width / 2, height=height / 2)
        return Prediction(class_name="Object", shape=box)


create = FixedLatencyModel
