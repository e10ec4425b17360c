"""Model output in, Ango import items out: validation of what the model returned, and the mapping
of each prediction through the user's class mapping to a `schemaId` and its tool's geometry key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from handler.contract.messages import AssetRef
from handler.contract.model import Image, ModelSpec, Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig
from handler.outputs.conversions import convert
from handler.outputs.geometry import import_geometry
from handler.outputs.shapes import Mask


class BadModelOutputError(Exception):
    """The model returned something that is not a list of predictions per image, as its spec says."""


def validate_output(raw: Any, images: Sequence[Image], spec: ModelSpec[Any]) -> list[list[Prediction]]:
    """Check the model's answer before anything is uploaded; raise one named error, precisely."""
    if not isinstance(raw, list) or len(raw) != len(images):
        got = f"{type(raw).__name__} of length {len(raw)}" if isinstance(raw, list) else type(raw).__name__
        raise BadModelOutputError(f"predict must return a list of {len(images)} lists, got {got}")
    return [_validate_image_predictions(i, preds, spec, images[i]) for i, preds in enumerate(raw)]


def _validate_image_predictions(
    index: int, predictions: Any, spec: ModelSpec[Any], image: Image
) -> list[Prediction]:
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
        _check_mask_size(index, prediction, image)
        checked.append(prediction)
    return checked


def _check_mask_size(index: int, prediction: Prediction, image: Image) -> None:
    shape = prediction.shape
    height, width = image.shape[:2]
    if isinstance(shape, Mask) and shape.size != (width, height):
        got, wanted = "x".join(map(str, shape.size)), f"{width}x{height}"
        raise BadModelOutputError(
            f"image {index}: class {prediction.class_name!r}: a mask of {got} for an image of {wanted}"
        )


@dataclass(frozen=True)
class AssetLabels:
    item: dict[str, Any] | None  # None when no mapped class was predicted
    objects: int
    dropped: int  # unmapped classes, or shapes wholly outside the image
    below_min_score: int = 0
    over_max_objects: int = 0
    kept: tuple[Prediction, ...] = ()  # the predictions behind `item`'s objects, in order
    converted: int = 0  # objects whose shape was converted to their mapped tool's


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
    tolerance = config.polygon_tolerance if config else 1.0
    objects: list[dict[str, Any]] = []
    placed: list[Prediction] = []
    converted = 0
    for prediction in kept:
        target = targets[prediction.class_name]
        geometries = [
            geometry
            for shape in convert(prediction.shape, target.tool, tolerance)
            if (geometry := import_geometry(shape, image_size)) is not None
        ]
        if not geometries:
            dropped += 1
            continue
        for geometry in geometries:
            object_id = f"{run_id}-{asset.asset_id}-{len(objects)}"
            objects.append({"schemaId": target.schema_id, "objectId": object_id, target.tool: geometry})
            placed.append(prediction)
        converted += len(geometries) if prediction.shape.kind != target.tool else 0
    if not objects:
        return AssetLabels(None, 0, dropped, below, over)
    address = {"data": asset.data_url} if asset.address_by_url else {"externalId": asset.external_id}
    item = {**address, "objects": objects}
    return AssetLabels(item, len(objects), dropped, below, over, tuple(placed), converted)
