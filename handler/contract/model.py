"""The model plug-in interface, and the loader that finds a model by name.

A model is any object with a static `spec` and a `predict` method over a batch of images. Per-run
settings arrive in a small context object, so the signature never grows. A model module ends with
`create = MyModel`; `ANGO_BATCH_MODEL` names either a built-in model or an importable module.

The listener reads only `create.spec` (classes and config schema) and never creates the model, so
its image needs no model libraries. For that, importing a model module must be cheap: its module
level holds the spec, the config class and the model class, and heavy libraries (torch, cv2,
weights) are imported inside the class's `__init__` or `predict` (or under `if TYPE_CHECKING:` for
type hints). Handlers call `create()` once per process, which imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

# The shapes a prediction can have live with their conversions (handler/outputs/); a model module
# imports them from here, beside the rest of the contract.
from handler.media.kinds import MediaKind
from handler.outputs.shapes import (
    ANSWER_KINDS,
    BoundingBox,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Segmentation,
    Shape,
    ShapeKind,
    Span,
    Tag,
    Text,
    Zone,
)

# Re-exported: named here so that `from handler.contract.model import Polygon` type-checks.
__all__ = [
    "BoundingBox",
    "EncodedImage",
    "Mask",
    "Point",
    "Polygon",
    "Polyline",
    "RotatedBox",
    "Segmentation",
    "Shape",
    "ShapeKind",
    "Span",
    "Tag",
    "Text",
    "Zone",
]

Image = npt.NDArray[np.uint8]  # H x W x 3, BGR, as OpenCV decodes it


@dataclass(frozen=True)
class EncodedImage:
    """A picture as its file holds it, for a model that says it takes such files as they are
    (`takes_encoded`, e.g. an endpoint that is sent the JPEG): handed over without a decode, its
    size read from its header (and checked against the pixel cap, as before any decode)."""

    data: bytes
    format: Literal["jpeg", "png"]
    width: int
    height: int


# What a model reads: images (BGR arrays), or texts (`str`, a text asset's whole content).
MediaRead = Literal["image", "text"]


BUILTIN_MODELS = {
    "haar": "handler.models.haar",
    "fixed-latency": "handler.models.fixed_latency",
    "ocr": "handler.models.ocr",
    "quality": "handler.models.quality",
    "entities": "handler.models.entities",
    # A user's ONNX file and its spec file (handler/runtimes/onnx/): its spec is read from that
    # file, so it is not in BUILTIN_SPECS; the listener reads it through `create.spec`.
    "onnx": "handler.runtimes.onnx",
    # A model served behind an endpoint: SageMaker, v2 (Open Inference Protocol) or HTTP JSON
    # (handler/runtimes/endpoint/), its spec likewise read from a spec file.
    "endpoint": "handler.runtimes.endpoint",
}
# Their specs, importable without the models themselves (the listener's view).
BUILTIN_SPECS = {
    "haar": "HAAR",
    "fixed-latency": "FIXED_LATENCY",
    "ocr": "OCR",
    "quality": "QUALITY",
    "entities": "ENTITIES",
}
SPECS_MODULE = "handler.models.specs"


class Prediction(BaseModel):
    """One thing the model found: an object (a shape), or an answer about the whole asset (a `Tag`
    or a `Text`). An object may carry answers about itself (`answers`: tags and texts of the classes
    the spec nests in its class), e.g. the words read inside an OCR region."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    class_name: str
    shape: Shape
    score: float | None = Field(default=None, ge=0, le=1)
    answers: tuple[Prediction, ...] = ()


class NoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True)
class ModelSpec(Generic[C]):
    """What a model can produce: its class names with the shape of each, and its config class
    (a pydantic model; the run's Config JSON "model" section is validated against it)."""

    classes: dict[str, ShapeKind]
    config: type[C]
    description: str = ""
    # Answer classes (tag or text) given about an object rather than the asset: answer class ->
    # the object class whose predictions carry it in `answers`.
    nested: dict[str, str] = field(default_factory=dict)
    # What `predict` gets: images, or the texts of text assets (whose predictions are `Span`s).
    # Assets of other media are skipped and counted by kind, before any download where their URL
    # says what they are.
    media: MediaRead = "image"

    @property
    def reads(self) -> frozenset[MediaKind]:
        """The media kinds the model runs on: an image model also on a video's sampled frames, a
        PDF's rendered pages and a DICOM file's frames (and on a multi-image asset's pages)."""
        kinds: tuple[MediaKind, ...] = (
            ("image", "video", "document", "medical") if self.media == "image" else ("text",)
        )
        return frozenset(kinds)

    def __post_init__(self) -> None:
        if self.media not in ("image", "text"):
            raise ValueError(f"media must be 'image' or 'text', got {self.media!r}")
        objects = {kind for kind in self.classes.values() if kind not in ANSWER_KINDS}
        if self.media == "text" and objects - {"ner"}:
            raise ValueError(f"a text model's objects are spans (ner), not {sorted(objects - {'ner'})}")
        if self.media == "image" and "ner" in objects:
            raise ValueError("spans (ner) are for text models: set media='text'")
        for answer, owner in self.nested.items():
            if self.classes.get(answer) not in ANSWER_KINDS:
                raise ValueError(f"nested class {answer!r} must be a tag or text class of the spec")
            if self.classes.get(owner, "tag") in ANSWER_KINDS:
                raise ValueError(f"nested class {answer!r} must belong to an object class, not {owner!r}")

    @property
    def default_config(self) -> dict[str, Any]:
        """The config a run gets when its Config JSON says nothing: the config class's defaults."""
        return self.config().model_dump()


@dataclass(frozen=True)
class PredictContext(Generic[C]):
    """Per-call extras: the run's model config, validated against `spec.config` already."""

    config: C
    run_id: str = ""


class Model(Protocol[C]):
    """A model, as the runner calls it.

    `predict(images, context)` gets a batch of images, each an H x W x 3 `uint8` array in BGR
    order (as OpenCV decodes), and returns one list of predictions per image, in the same order.
    Shapes are in pixel coordinates of that image: x to the right, y down, origin top-left. A model
    whose spec reads text (`media="text"`) gets `str`s instead, and returns `Span`s of them.

    It must not keep references to the images after it returns (the runner frees them), mutate
    them, or raise for one bad image when it can return nothing for it. Calls are serialised per
    process (the runner holds a lock around `predict`), so it need not be thread-safe, but it may
    be called from different threads one after the other. A model whose `predict` only waits on
    something else (the endpoint runtime's requests) may say `concurrent = True`: the runner then
    calls it from several jobs at once, and it must be thread-safe. A model that sends pictures on
    as files may say `takes_encoded = frozenset({"jpeg"})`: assets in those formats then reach it
    as `EncodedImage`s, not decoded (frames and pages of other media are still arrays). Heavy
    libraries are imported inside the class, not at module level: the listener imports the module
    for `spec` alone.
    """

    spec: ModelSpec[C]

    def predict(self, images: Sequence[Any], context: PredictContext[C]) -> list[list[Prediction]]: ...


class ModelFactory(Protocol[C]):
    spec: ModelSpec[C]

    def __call__(self) -> Model[C]: ...


class ModelLoadError(Exception):
    """ANGO_BATCH_MODEL names nothing importable, or what it names is not a model."""


def load_model_spec(name: str) -> ModelSpec[Any]:
    """The model's classes and config schema, without creating the model (the listener's view):
    a built-in model's spec comes from its spec module alone, a custom model's from its module."""
    if name in BUILTIN_SPECS:
        spec: ModelSpec[Any] = getattr(importlib.import_module(SPECS_MODULE), BUILTIN_SPECS[name])
        return spec
    return load_model_factory(name).spec


def load_model_factory(name: str) -> ModelFactory[Any]:
    """Resolve a built-in name ("haar") or a module path ("my_pkg.my_model") to its `create`."""
    module_name = BUILTIN_MODELS.get(name, name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelLoadError(
            f"cannot import model module {module_name!r}: {exc} (a model module must import heavy "
            "libraries inside its model class, not at module level: see README, Bring your model)"
        ) from exc
    factory = getattr(module, "create", None)
    if factory is None or not isinstance(getattr(factory, "spec", None), ModelSpec):
        raise ModelLoadError(f"{module_name!r} must define `create` with a `spec: ModelSpec`")
    if not factory.spec.classes:
        raise ModelLoadError(f"{module_name!r} declares no classes")
    return factory  # type: ignore[no-any-return]
