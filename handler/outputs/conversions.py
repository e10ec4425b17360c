"""Turning a model's shape into the shape of the tool its class is mapped to.

Only conversions that invent nothing are made: a box is a four-point polygon or a rotated box
turned by 0; a rotated box is a polygon of its corners, or the box around it; a polygon is a
one-zone segmentation, or the box around it; a segmentation's zones are polygons (holes left
out), or the box around them; a mask becomes segmentation zones (holes kept), one polygon per
separate part (holes left out), or the box around it. On a PDF page, an area shape becomes the
`pdf` tool's area: the box around it. Mask outlines are simplified to a tolerance
in pixels (the run's `polygon_tolerance`). Anything else (a point as an area, a line as a box) is
refused when the run is clicked (`can_fill`), so it never reaches `convert`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from handler.outputs.shapes import (
    XY,
    BoundingBox,
    ClassificationKind,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Segmentation,
    Span,
    ToolKind,
    Zone,
)

# Classifications that answer by option: a tag fills the option its class is mapped to.
CHOICE_KINDS: tuple[ClassificationKind, ...] = ("radio", "checkbox", "single-dropdown", "multi-dropdown")

# The tools each geometric kind can fill (answers, tags and texts, fill classifications instead).
TOOLS_FOR: dict[str, tuple[ToolKind, ...]] = {
    "bounding-box": ("bounding-box", "polygon", "rotated-bounding-box", "pdf"),
    "rotated-bounding-box": ("rotated-bounding-box", "polygon", "bounding-box", "pdf"),
    "polygon": ("polygon", "segmentation", "bounding-box", "pdf"),
    "polyline": ("polyline",),
    "point": ("point",),
    "segmentation": ("segmentation", "polygon", "bounding-box", "pdf"),
    "mask": ("segmentation", "polygon", "bounding-box", "pdf"),
    "ner": ("ner",),
}

ToolShape = BoundingBox | RotatedBox | Polygon | Polyline | Point | Segmentation | Span
AnyShape = ToolShape | Mask


def can_fill(kind: str, tool: str) -> bool:
    return tool in TOOLS_FOR.get(kind, ())


def convert(shape: AnyShape, tool: str, tolerance: float = 1.0) -> list[ToolShape]:
    """`shape` as `tool`'s shapes: one, or one per part of a mask as polygons, or none for an empty
    mask. Raises ValueError for a pair `can_fill` refuses."""
    if not can_fill(shape.kind, tool):
        raise ValueError(f"a {shape.kind} cannot fill a {tool} tool")
    if isinstance(shape, Mask):
        return _from_mask(shape, tool, tolerance)
    if shape.kind == tool:
        return [shape]
    if tool in ("bounding-box", "pdf"):  # a PDF area is the box around the shape, on its page
        return [_box_around(_outline(shape))]
    if tool == "polygon":
        if isinstance(shape, Segmentation):
            return [Polygon(points=zone.region) for zone in shape.zones]
        return [Polygon(points=_outline(shape))]
    if tool == "rotated-bounding-box" and isinstance(shape, BoundingBox):
        return [RotatedBox(x=shape.x, y=shape.y, width=shape.width, height=shape.height, rotation=0.0)]
    if tool == "segmentation" and isinstance(shape, Polygon):
        return [Segmentation(zones=(Zone(region=shape.points),))]
    raise AssertionError(f"no conversion from {shape.kind} to {tool}")  # TOOLS_FOR and this disagree


def extent(shape: AnyShape) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) around the shape: what a tracker compares from frame to frame."""
    if isinstance(shape, Mask):
        ys, xs = np.nonzero(shape.mask)
        if not len(xs):
            return (0.0, 0.0, 0.0, 0.0)
        return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    box = _box_around(_outline(shape))
    return (box.x, box.y, box.x + box.width, box.y + box.height)


def corners(box: RotatedBox) -> tuple[XY, ...]:
    """The four corners of a rotated box, clockwise from the top-left one before it turned."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    turn = math.radians(box.rotation)
    cos, sin = math.cos(turn), math.sin(turn)
    half = ((-1, -1), (1, -1), (1, 1), (-1, 1))
    return tuple(
        (
            cx + dx * box.width / 2 * cos - dy * box.height / 2 * sin,
            cy + dx * box.width / 2 * sin + dy * box.height / 2 * cos,
        )
        for dx, dy in half
    )


def _outline(shape: ToolShape) -> tuple[XY, ...]:
    if isinstance(shape, BoundingBox):
        x0, y0, x1, y1 = shape.x, shape.y, shape.x + shape.width, shape.y + shape.height
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    if isinstance(shape, RotatedBox):
        return corners(shape)
    if isinstance(shape, Polygon | Polyline):
        return shape.points
    if isinstance(shape, Segmentation):
        return tuple(point for zone in shape.zones for point in zone.region)
    if isinstance(shape, Point):
        return ((shape.x, shape.y),)
    raise AssertionError(f"{shape.kind} has no outline")  # spans fill only ner tools (TOOLS_FOR)


def _box_around(points: Sequence[XY]) -> BoundingBox:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return BoundingBox(
        x=min(xs), y=min(ys), width=max(max(xs) - min(xs), 1.0), height=max(max(ys) - min(ys), 1.0)
    )


def _from_mask(shape: Mask, tool: str, tolerance: float) -> list[ToolShape]:
    zones = mask_zones(shape.mask, tolerance)
    if not zones:
        return []
    if tool == "segmentation":
        return [Segmentation(zones=tuple(zones))]
    if tool == "polygon":
        return [Polygon(points=zone.region) for zone in zones]
    ys, xs = np.nonzero(shape.mask)
    # Pixel edges, not centres: a mask of one pixel at (3, 4) is the box (3, 4, 1, 1).
    return [
        BoundingBox(
            x=float(xs.min()), y=float(ys.min()), width=float(np.ptp(xs) + 1), height=float(np.ptp(ys) + 1)
        )
    ]


def mask_zones(mask: Any, tolerance: float) -> list[Zone]:
    """The mask's separate parts as zones: each outer outline with the holes inside it, simplified
    to `tolerance` pixels (Douglas-Peucker); parts and holes too small to keep 3 points are left out."""
    import cv2  # the listener, which never converts, does not load OpenCV

    image = np.ascontiguousarray(mask, dtype=np.uint8)
    contours, hierarchy = cv2.findContours(image, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    rings = [_ring(cv2.approxPolyDP(c, tolerance, True) if tolerance > 0 else c) for c in contours]
    zones = []
    for index, (_, _, first_child, parent) in enumerate(hierarchy[0]):
        if parent != -1 or len(rings[index]) < 3:
            continue
        holes, child = [], first_child
        while child != -1:
            if len(rings[child]) >= 3:
                holes.append(rings[child])
            child = hierarchy[0][child][0]
        zones.append(Zone(region=rings[index], holes=tuple(holes)))
    return zones


def _ring(contour: Any) -> tuple[XY, ...]:
    return tuple((float(x), float(y)) for x, y in contour.reshape(-1, 2))
