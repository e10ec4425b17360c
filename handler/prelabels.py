"""Model output in, Ango import items out: validation of what the model returned, and the mapping
of each prediction through the user's class mapping to a `schemaId` and its tool's geometry key."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from handler.contract.messages import AssetRef
from handler.contract.model import BoundingBox, Image, ModelSpec, Point, Polygon, Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig


class BadModelOutputError(Exception):
    """The model returned something that is not a list of predictions per image, as its spec says."""


def validate_output(raw: Any, images: Sequence[Image], spec: ModelSpec[Any]) -> list[list[Prediction]]:
    """Check the model's answer before anything is uploaded; raise one named error, precisely."""
    if not isinstance(raw, list) or len(raw) != len(images):
        got = f"{type(raw).__name__} of length {len(raw)}" if isinstance(raw, list) else type(raw).__name__
        raise BadModelOutputError(f"predict must return a list of {len(images)} lists, got {got}")
    return [_validate_image_predictions(i, preds, spec) for i, preds in enumerate(raw)]


def _validate_image_predictions(index: int, predictions: Any, spec: ModelSpec[Any]) -> list[Prediction]:
    if not isinstance(predictions, list):
        raise BadModelOutputError(f"image {index}: expected a list, got {type(predictions).__name__}")
    checked = []
    for n, prediction in enumerate(predictions):
        try:
            prediction = Prediction.model_validate(prediction)
        except ValidationError as exc:
            raise BadModelOutputError(f"image {index} prediction {n}: {exc.errors()[0]['msg']}") from None
        kind = spec.classes.get(prediction.class_name)
        if kind is None:
            raise BadModelOutputError(f"image {index}: class {prediction.class_name!r} is not in the spec")
        if prediction.shape.kind != kind:
            raise BadModelOutputError(
                f"image {index}: class {prediction.class_name!r} must be a {kind}, "
                f"got {prediction.shape.kind}"
            )
        checked.append(prediction)
    return checked


@dataclass(frozen=True)
class AssetLabels:
    item: dict[str, Any] | None  # None when no mapped class was predicted
    objects: int
    dropped: int  # unmapped classes, or shapes wholly outside the image
    below_min_score: int = 0
    over_max_objects: int = 0
    kept: tuple[Prediction, ...] = ()  # the predictions behind `item`'s objects, in order


def apply_policy(predictions: Sequence[Prediction], config: RunConfig) -> tuple[list[Prediction], int, int]:
    """The run's output policy: (kept, dropped below min_score, dropped over max_objects).

    A prediction without a score passes any threshold. Over max_objects, the best scored are kept
    (unscored ones after scored ones, each in the model's order)."""
    passed = [p for p in predictions if p.score is None or p.score >= config.min_score_of(p.class_name)]
    below = len(predictions) - len(passed)
    if config.max_objects is None or len(passed) <= config.max_objects:
        return passed, below, 0
    ranked = sorted(passed, key=lambda p: (p.score is None, -(p.score or 0.0)))
    return ranked[: config.max_objects], below, len(passed) - config.max_objects


def build_item(
    run_id: str,
    asset: AssetRef,
    image_size: tuple[int, int],
    predictions: Sequence[Prediction],
    targets: Mapping[str, ClassTarget],
    config: RunConfig | None = None,
) -> AssetLabels:
    """One Ango import item for one asset. Predictions of unmapped classes are dropped and counted,
    then the run's policy (min_score, max_objects) applies to the rest.

    Object ids are derived from the run and the asset, so a retried import carries the same ids.
    """
    mapped = [p for p in predictions if p.class_name in targets]
    dropped = len(predictions) - len(mapped)
    kept, below, over = apply_policy(mapped, config) if config else (mapped, 0, 0)
    objects: list[dict[str, Any]] = []
    placed: list[Prediction] = []
    for prediction in kept:
        target, geometry = targets[prediction.class_name], _geometry(prediction, image_size)
        if geometry is None:
            dropped += 1
            continue
        object_id = f"{run_id}-{asset.asset_id}-{len(objects)}"
        objects.append({"schemaId": target.schema_id, "objectId": object_id, target.tool: geometry})
        placed.append(prediction)
    if not objects:
        return AssetLabels(None, 0, dropped, below, over)
    address = {"data": asset.data_url} if asset.address_by_url else {"externalId": asset.external_id}
    return AssetLabels({**address, "objects": objects}, len(objects), dropped, below, over, tuple(placed))


def _geometry(prediction: Prediction, size: tuple[int, int]) -> Any:
    """The import geometry, clipped to the image; None if nothing of the shape is inside it."""
    width, height = size
    shape = prediction.shape
    if isinstance(shape, BoundingBox):
        x0, y0 = max(0.0, shape.x), max(0.0, shape.y)
        x1, y1 = min(width, shape.x + shape.width), min(height, shape.y + shape.height)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return None
        return {"x": _r(x0), "y": _r(y0), "width": _r(x1 - x0), "height": _r(y1 - y0)}
    if isinstance(shape, Polygon):
        return [[_r(_clip(x, width)), _r(_clip(y, height))] for x, y in shape.points]
    if isinstance(shape, Point):
        inside = 0 <= shape.x <= width and 0 <= shape.y <= height
        return [_r(shape.x), _r(shape.y)] if inside else None
    raise AssertionError(f"unhandled shape {shape!r}")


def _clip(value: float, upper: float) -> float:
    return min(max(value, 0.0), upper)


def _r(value: float) -> float:
    return round(value, 2) if math.isfinite(value) else 0.0
