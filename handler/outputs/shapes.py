"""The shapes a model's prediction can have, validated where the model hands them over.

Coordinates are pixels of the image the model was given: x to the right, y down, origin top-left;
a `Span` is a range of characters of the text the model was given.
Each shape's `kind` names the Ango tool of the same geometry, except `mask`, which no tool imports
as it is: a mask becomes segmentation zones, polygons or a box (conversions.py).

Two kinds are answers, not geometry: a `tag` says its class applies (to the whole asset, or, nested,
to the object it is attached to) and fills a choice classification's option; a `text` carries free
text for a text classification (answers.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Ango tools a model's predictions can fill (imerit-ango `Tool`, minus brush/pct, which need other
# import paths). `ner` takes spans of texts; `pdf` takes areas of PDF pages (paged_items.py).
ToolKind = Literal[
    "bounding-box", "rotated-bounding-box", "polygon", "polyline", "point", "segmentation", "ner", "pdf"
]
# Ango classifications a model's answers can fill (imerit-ango `Classification`, minus tree-dropdown,
# instance, boolean and rank, whose import answers no source shows).
ClassificationKind = Literal["radio", "checkbox", "single-dropdown", "multi-dropdown", "text"]
# What a model may declare for a class: a tool's shape, a mask, or an answer.
ShapeKind = Literal[
    "bounding-box",
    "rotated-bounding-box",
    "polygon",
    "polyline",
    "point",
    "segmentation",
    "mask",
    "ner",
    "tag",
    "text",
]
ANSWER_KINDS: frozenset[str] = frozenset({"tag", "text"})

XY = tuple[float, float]


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class BoundingBox(_Shape):
    kind: Literal["bounding-box"] = "bounding-box"
    x: float
    y: float
    width: float = Field(gt=0)
    height: float = Field(gt=0)


class RotatedBox(_Shape):
    """A box turned by `rotation` degrees (clockwise, as y points down) about its centre; x, y are the
    top-left corner of the box before it turns, as Hub's import takes it."""

    kind: Literal["rotated-bounding-box"] = "rotated-bounding-box"
    x: float
    y: float
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    rotation: float = Field(ge=-180, le=180)


class Polygon(_Shape):
    kind: Literal["polygon"] = "polygon"
    points: tuple[XY, ...] = Field(min_length=3)


class Polyline(_Shape):
    kind: Literal["polyline"] = "polyline"
    points: tuple[XY, ...] = Field(min_length=2)


class Point(_Shape):
    kind: Literal["point"] = "point"
    x: float
    y: float


class Zone(_Shape):
    """One connected region of a segmentation, with the holes inside it."""

    region: tuple[XY, ...] = Field(min_length=3)
    holes: tuple[tuple[XY, ...], ...] = ()

    @field_validator("holes")
    @classmethod
    def _holes_are_rings(cls, holes: tuple[tuple[XY, ...], ...]) -> tuple[tuple[XY, ...], ...]:
        if any(len(hole) < 3 for hole in holes):
            raise ValueError("every hole needs at least 3 points")
        return holes


class Segmentation(_Shape):
    kind: Literal["segmentation"] = "segmentation"
    zones: tuple[Zone, ...] = Field(min_length=1)


class Mask(_Shape):
    """A boolean (or 0/1) array the size of the image: True where the object is."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kind: Literal["mask"] = "mask"
    mask: Any

    @field_validator("mask")
    @classmethod
    def _two_dimensional(cls, value: Any) -> np.ndarray[Any, np.dtype[np.bool_]]:
        array = np.asarray(value)
        if array.ndim != 2 or array.size == 0:
            raise ValueError(f"a mask must be a 2-D array, got shape {array.shape}")
        if array.dtype != np.bool_:
            if not np.issubdtype(array.dtype, np.number):
                raise ValueError(f"a mask must be boolean or 0/1 numbers, got {array.dtype}")
            array = array > 0
        return array

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        height, width = self.mask.shape
        return int(width), int(height)


class Span(_Shape):
    """Characters `start` (included) to `end` (excluded) of a text asset: an entity, imported with
    Hub's `ner` tool. Offsets count Unicode code points, as Python's `str` indexes them."""

    kind: Literal["ner"] = "ner"
    start: int = Field(ge=0, strict=True)
    end: int = Field(strict=True)

    @model_validator(mode="after")
    def _not_empty(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"a span must end after it starts, got {self.start}..{self.end}")
        return self


class Tag(_Shape):
    """The class applies: to the whole asset, or (nested in an object's answers) to that object. It
    fills the classification option its class is mapped to."""

    kind: Literal["tag"] = "tag"


class Text(_Shape):
    """Free text for a text classification: a caption, or the words read inside an OCR region."""

    kind: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=10_000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must not be blank")
        return text


Shape = Annotated[
    BoundingBox | RotatedBox | Polygon | Polyline | Point | Segmentation | Mask | Span | Tag | Text,
    Field(discriminator="kind"),
]
