"""The built-in models' specs and configs, importable without the models (the listener reads them;
OpenCV and the models' code stay out of its process)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handler.contract.model import ModelSpec


class HaarConfig(BaseModel):
    """Detector parameters, settable per run in the plugin's Config JSON under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    scale_factor: float = Field(1.1, gt=1.0, le=2.0, description="image pyramid step")
    min_neighbors: int = Field(5, ge=0, le=50, description="higher: fewer, surer detections")
    min_size: int = Field(30, ge=8, le=4096, description="smallest face side, in pixels")
    max_image_side: int = Field(
        1600, ge=64, le=8192, description="larger images are downscaled first, for speed"
    )


HAAR = ModelSpec(
    classes={"Face": "bounding-box"},
    config=HaarConfig,
    description="OpenCV Haar-cascade frontal-face detector",
)


class FixedLatencyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    seconds_per_batch: float = Field(0.2, ge=0, le=60)


FIXED_LATENCY = ModelSpec(
    classes={"Object": "bounding-box"},
    config=FixedLatencyConfig,
    description="sleeps a fixed time per batch, then returns one centred box per image",
)
