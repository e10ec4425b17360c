"""A tool's shape as the geometry value Hub's import takes (protocol §7.2), kept inside the image.

Points are clipped to the image's edges; a shape with nothing inside the image is None (and the
prediction is dropped and counted). Numbers are rounded to 0.01 px. A text is a row of characters:
its size is (its length, 1), and a span is clipped to it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from handler.outputs.conversions import ToolShape
from handler.outputs.shapes import XY, BoundingBox, Point, Polygon, Polyline, RotatedBox, Segmentation, Span

Size = tuple[int, int]  # (width, height) of an image; (length in characters, 1) of a text


def import_geometry(shape: ToolShape, size: Size) -> Any:
    """The value of the object's geometry key (its tool's name), or None if it lies outside."""
    width, height = size
    if isinstance(shape, Span):
        start, end = max(0, shape.start), min(width, shape.end)
        return {"start": start, "end": end} if end > start else None
    if isinstance(shape, BoundingBox):
        x0, y0 = max(0.0, shape.x), max(0.0, shape.y)
        x1, y1 = min(width, shape.x + shape.width), min(height, shape.y + shape.height)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return None
        return {"x": _r(x0), "y": _r(y0), "width": _r(x1 - x0), "height": _r(y1 - y0)}
    if isinstance(shape, RotatedBox):
        # A turned box cannot be clipped and stay a box: it is kept while its centre is inside.
        cx, cy = shape.x + shape.width / 2, shape.y + shape.height / 2
        if not (0 <= cx <= width and 0 <= cy <= height):
            return None
        box = {
            "x": shape.x,
            "y": shape.y,
            "width": shape.width,
            "height": shape.height,
            "rotation": shape.rotation,
        }
        return {key: _r(value) for key, value in box.items()}
    if isinstance(shape, Polygon):
        points = _clipped(shape.points, size)
        return points if _area(points) >= 1 else None
    if isinstance(shape, Polyline):
        points = _clipped(shape.points, size)
        return points if _length(points) >= 1 else None
    if isinstance(shape, Point):
        return [_r(shape.x), _r(shape.y)] if 0 <= shape.x <= width and 0 <= shape.y <= height else None
    if isinstance(shape, Segmentation):
        zones = [
            {"region": region, "holes": [_clipped(hole, size) for hole in zone.holes]}
            for zone in shape.zones
            if _area(region := _clipped(zone.region, size)) >= 1
        ]
        return {"zones": zones} if zones else None
    raise AssertionError(f"unhandled shape {shape!r}")


def _clipped(points: Sequence[XY], size: Size) -> list[list[float]]:
    width, height = size
    return [[_r(min(max(x, 0.0), width)), _r(min(max(y, 0.0), height))] for x, y in points]


def _area(points: list[list[float]]) -> float:
    """A ring's area (shoelace): under a pixel once clipped, nothing of it was inside."""
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True))
    return abs(twice) / 2


def _length(points: list[list[float]]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(points))


def _r(value: float) -> float:
    return round(value, 2) if math.isfinite(value) else 0.0
