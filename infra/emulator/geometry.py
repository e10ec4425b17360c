"""Shape checks for the geometry key of an imported object (protocol §7.2).

Hub's own checks are undocumented; these are deliberately strict so that an adapter bug (normalised
coordinates, a box from a resized image) fails loudly here rather than silently in production.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

# Boxes may poke out of the image by this much, to allow for float rounding in model output.
EDGE_TOLERANCE_PX = 1.0

IMPORTABLE_TOOLS = (
    "bounding-box",
    "rotated-bounding-box",
    "polygon",
    "polyline",
    "point",
    "segmentation",
    "ner",
    "pdf",
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(value: Any, keys: tuple[str, ...]) -> str | None:
    if not isinstance(value, dict):
        return "must be an object"
    if set(value) != set(keys):
        return f"must have exactly the keys {sorted(keys)}, got {sorted(value)}"
    bad = [k for k in keys if not _is_number(value[k])]
    return f"non-numeric {bad}" if bad else None


def _bounding_box(value: Any, width: int, height: int) -> str | None:
    problem = _numbers(value, ("x", "y", "width", "height"))
    if problem:
        return problem
    if value["width"] <= 0 or value["height"] <= 0:
        return "width and height must be > 0"
    tol = EDGE_TOLERANCE_PX
    inside_x = -tol <= value["x"] and value["x"] + value["width"] <= width + tol
    inside_y = -tol <= value["y"] and value["y"] + value["height"] <= height + tol
    if not (inside_x and inside_y):
        return f"box {value} lies outside the {width}x{height} image"
    return None


def _points(value: Any, minimum: int) -> str | None:
    if not isinstance(value, list) or len(value) < minimum:
        return f"must be a list of at least {minimum} [x, y] points"
    if not all(isinstance(p, list) and len(p) == 2 and all(map(_is_number, p)) for p in value):
        return "every point must be [x, y] with numbers"
    return None


def _segmentation(value: Any) -> str | None:
    zones = value.get("zones") if isinstance(value, dict) else None
    if not isinstance(zones, list) or not zones:
        return 'must be {"zones": [...]} with at least one zone'
    for zone in zones:
        if not isinstance(zone, dict) or _points(zone.get("region"), 3):
            return "every zone needs a region of at least 3 [x, y] points"
        holes = zone.get("holes", [])
        if not isinstance(holes, list) or any(_points(h, 3) for h in holes):
            return "holes must be a list of point lists"
    return None


def _pdf(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object"
    missing = {"x1", "y1", "x2", "y2", "pageNumber"} - set(value)
    return f"missing {sorted(missing)}" if missing else None


_CHECKS: dict[str, Callable[[Any, int, int], str | None]] = {
    "bounding-box": _bounding_box,
    "rotated-bounding-box": lambda v, w, h: _numbers(v, ("x", "y", "width", "height", "rotation")),
    "polygon": lambda v, w, h: _points(v, 3),
    "polyline": lambda v, w, h: _points(v, 2),
    "point": lambda v, w, h: (
        None
        if isinstance(v, list) and len(v) == 2 and all(map(_is_number, v))
        else "must be [x, y] with numbers"
    ),
    "segmentation": lambda v, w, h: _segmentation(v),
    "ner": lambda v, w, h: _numbers(v, ("start", "end")),
    "pdf": lambda v, w, h: _pdf(v),
}


def check_geometry(tool: str, value: Any, width: int, height: int) -> str | None:
    """None when `value` is a valid `tool` geometry for a `width`x`height` asset, else the problem."""
    check = _CHECKS.get(tool)
    if check is None:
        return f"tool type {tool!r} cannot be imported"
    return check(value, width, height)
