"""Model output in, Ango import items out: validation of what the model returned, and the mapping
of each prediction through the user's class mapping to a `schemaId` and its tool's geometry key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from handler.contract.messages import AssetRef
from handler.contract.model import EncodedImage, Image, ModelSpec, Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig
from handler.outputs.answers import answers_of, best_first, is_answer
from handler.outputs.conversions import convert
from handler.outputs.geometry import import_geometry
from handler.outputs.shapes import Mask, Tag, Text

DEFAULT_CONFIG = RunConfig()  # what a call without a run's config gets (tests, the benchmark's model alone)


class BadModelOutputError(Exception):
    """The model returned something that is not a list of predictions per image, as its spec says."""


def validate_output(
    raw: Any, images: Sequence[Image | EncodedImage | str], spec: ModelSpec[Any]
) -> list[list[Prediction]]:
    """Check the model's answer before anything is uploaded; raise one named error, precisely."""
    if not isinstance(raw, list) or len(raw) != len(images):
        got = f"{type(raw).__name__} of length {len(raw)}" if isinstance(raw, list) else type(raw).__name__
        raise BadModelOutputError(f"predict must return a list of {len(images)} lists, got {got}")
    return [_validate_image_predictions(i, preds, spec, images[i]) for i, preds in enumerate(raw)]


def _validate_image_predictions(
    index: int, predictions: Any, spec: ModelSpec[Any], image: Image | EncodedImage | str
) -> list[Prediction]:
    if not isinstance(predictions, list):
        raise BadModelOutputError(f"image {index}: expected a list, got {type(predictions).__name__}")
    checked = []
    for n, prediction in enumerate(predictions):
        try:
            prediction = Prediction.model_validate(prediction)
        except ValidationError as exc:
            raise BadModelOutputError(f"image {index} prediction {n}: {exc.errors()[0]['msg']}") from None
        _check_kind(index, prediction, spec, owner=None)
        for answer in prediction.answers:
            _check_kind(index, answer, spec, owner=prediction.class_name)
        _check_mask_size(index, prediction, image)
        checked.append(prediction)
    return checked


def _check_kind(index: int, prediction: Prediction, spec: ModelSpec[Any], owner: str | None) -> None:
    """The class is in the spec, with the spec's kind, given where the spec says: an answer the spec
    nests in an object class only in that class's `answers`, anything else only at the top."""
    name = prediction.class_name
    kind = spec.classes.get(name)
    if kind is None:
        raise BadModelOutputError(f"image {index}: class {name!r} is not in the spec")
    if prediction.shape.kind != kind:
        raise BadModelOutputError(
            f"image {index}: class {name!r} must be a {kind}, got {prediction.shape.kind}"
        )
    if spec.nested.get(name) != owner:
        where = f"in the answers of a {spec.nested[name]!r}" if name in spec.nested else "at the top"
        raise BadModelOutputError(f"image {index}: class {name!r} belongs {where}")
    if prediction.answers and is_answer(prediction):
        raise BadModelOutputError(f"image {index}: class {name!r} is an answer and cannot hold answers")


def _check_mask_size(index: int, prediction: Prediction, image: Image | EncodedImage | str) -> None:
    shape = prediction.shape
    if isinstance(image, str):  # a text model's spec has no masks (ModelSpec checks)
        return
    height, width = (image.height, image.width) if isinstance(image, EncodedImage) else image.shape[:2]
    if isinstance(shape, Mask) and shape.size != (width, height):
        got, wanted = "x".join(map(str, shape.size)), f"{width}x{height}"
        raise BadModelOutputError(
            f"image {index}: class {prediction.class_name!r}: a mask of {got} for an image of {wanted}"
        )


@dataclass(frozen=True)
class AssetLabels:
    item: dict[str, Any] | None  # None when no mapped class was predicted
    objects: int
    dropped: int  # unmapped classes, shapes wholly outside the image, tools the asset does not take
    below_min_score: int = 0
    over_max_objects: int = 0
    kept: tuple[Prediction, ...] = ()  # the predictions behind `item`'s objects, in order
    converted: int = 0  # objects whose shape was converted to their mapped tool's
    # The whole-asset answers behind `item`'s classifications, and the count of classification
    # answers in the item (the asset's and those nested in its objects).
    answered: tuple[Prediction, ...] = ()
    answers: int = 0


def apply_policy(predictions: Sequence[Prediction], config: RunConfig) -> tuple[list[Prediction], int, int]:
    """The run's output policy: (kept, dropped below min_score, dropped over max_objects).

    A prediction without a score passes any threshold. Over max_objects, the best scored are kept
    (unscored ones after scored ones, each in the model's order)."""
    passed = [p for p in predictions if config.passes_min_score(p.class_name, p.score)]
    below = len(predictions) - len(passed)
    if config.max_objects is None or len(passed) <= config.max_objects:
        return passed, below, 0
    ranked = sorted(passed, key=best_first)
    return ranked[: config.max_objects], below, len(passed) - config.max_objects


def build_item(
    run_id: str,
    asset: AssetRef,
    image_size: tuple[int, int],
    predictions: Sequence[Prediction],
    targets: Mapping[str, ClassTarget],
    config: RunConfig | None = None,
    on_pdf: bool = False,
) -> AssetLabels:
    """One Ango import item for one asset (or one page of it). Predictions of unmapped classes are
    dropped and counted, then the run's policy applies: min_score to objects and answers,
    max_objects to objects. A class mapped to a `pdf` tool is imported on PDF pages only (`on_pdf`),
    and only such classes are imported there: the others are dropped and counted.

    Object ids are derived from the run and the asset, so a retried import carries the same ids.
    """
    mapped = [p for p in predictions if p.class_name in targets]
    dropped = len(predictions) - len(mapped)
    asset_answers = answers_of([p for p in mapped if is_answer(p)], targets, config)
    shaped = [p for p in mapped if not is_answer(p)]
    kept, below, over = apply_policy(shaped, config) if config else (shaped, 0, 0)
    placed = _place(run_id, asset, image_size, kept, targets, config, on_pdf)
    dropped += placed.outside
    below += asset_answers.below_min_score + placed.nested_below
    answers = len(asset_answers.classifications) + placed.nested_answers
    if not placed.objects and not asset_answers.classifications:
        return AssetLabels(None, 0, dropped, below, over)
    item: dict[str, Any] = {**address_of(asset), "objects": placed.objects}
    if asset_answers.classifications:
        item["classifications"] = asset_answers.classifications
    return AssetLabels(
        item=item,
        objects=len(placed.objects),
        dropped=dropped,
        below_min_score=below,
        over_max_objects=over,
        kept=tuple(placed.predictions),
        converted=placed.converted,
        answered=asset_answers.answered,
        answers=answers,
    )


def targets_by_class(targets: Iterable[ClassTarget], on_pdf: bool = False) -> dict[str, ClassTarget]:
    """Each mapped class's target for a page: a class mapped both to a PDF tool and to another label
    fills the PDF tool on PDF pages and the other label everywhere else."""
    chosen: dict[str, ClassTarget] = {}
    for target in targets:
        if target.model_class not in chosen or (target.tool == "pdf") == on_pdf:
            chosen[target.model_class] = target
    return chosen


def address_of(asset: AssetRef) -> dict[str, str]:
    """How an import item names its asset: by data URL or by externalId (AssetRef.address_by_url)."""
    return {"data": asset.data_url} if asset.address_by_url else {"externalId": asset.external_id}


@dataclass
class _Placed:
    objects: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)  # the one behind each object
    # Predictions wholly outside the image or of a tool the page does not take (no object), and
    # unmapped answers in them.
    outside: int = 0
    converted: int = 0
    nested_answers: int = 0
    nested_below: int = 0


def _place(
    run_id: str,
    asset: AssetRef,
    image_size: tuple[int, int],
    kept: Sequence[Prediction],
    targets: Mapping[str, ClassTarget],
    config: RunConfig | None,
    on_pdf: bool,
) -> _Placed:
    """The import's objects: each kept prediction converted to its tool's shapes and clipped to the
    image (one wholly outside is left out), with its own answers nested in each of its objects."""
    tolerance = (config or DEFAULT_CONFIG).polygon_tolerance
    placed = _Placed()
    for prediction in kept:
        target = targets[prediction.class_name]
        assert not isinstance(prediction.shape, Tag | Text)  # answers were set apart by the caller
        if (target.tool == "pdf") != on_pdf:  # a PDF area goes on a PDF page, and nothing else does
            placed.outside += 1
            continue
        geometries = [
            geometry
            for shape in convert(prediction.shape, target.tool, tolerance)
            if (geometry := import_geometry(shape, image_size)) is not None
        ]
        if not geometries:
            placed.outside += 1
            continue
        nested = answers_of(prediction.answers, targets, config, parent=target.schema_id)
        placed.nested_below += nested.below_min_score
        placed.outside += nested.unmapped
        for geometry in geometries:
            obj: dict[str, Any] = {
                "schemaId": target.schema_id,
                "objectId": f"{run_id}-{asset.asset_id}-{len(placed.objects)}",
            }
            obj[target.tool] = geometry
            if nested.classifications:
                obj["classifications"] = nested.classifications
                placed.nested_answers += len(nested.classifications)
            placed.objects.append(obj)
            placed.predictions.append(prediction)
        placed.converted += len(geometries) if prediction.shape.kind != target.tool else 0
    return placed
