"""A model whose library is missing here, as torch is from the listener's image: it is imported
where the model is created, never at module level, so its spec is readable without it."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from handler.contract.model import Image, ModelSpec, PredictContext, Prediction


class HeavyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    threshold: float = Field(0.5, ge=0, le=1)


class HeavyModel:
    spec = ModelSpec(
        classes={"Car": "bounding-box"},
        config=HeavyConfig,
    )

    def __init__(self) -> None:
        import torch_that_does_not_exist  # type: ignore[import-not-found]  # noqa: F401

    def predict(
        self, images: Sequence[Image], context: PredictContext[HeavyConfig]
    ) -> list[list[Prediction]]:
        raise NotImplementedError


create = HeavyModel
