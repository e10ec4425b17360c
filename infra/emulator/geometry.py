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


def _inside(x: float, y: float, width: int, height: int) -> bool:
    tol = EDGE_TOLERANCE_PX
    return -tol <= x <= width + tol and -tol <= y <= height + tol


def _points(value: Any, minimum: int, width: int, height: int) -> str | None:
    if not isinstance(value, list) or len(value) < minimum:
        return f"must be a list of at least {minimum} [x, y] points"
    if not all(isinstance(p, list) and len(p) == 2 and all(map(_is_number, p)) for p in value):
        return "every point must be [x, y] with numbers"
    outside = next((p for p in value if not _inside(p[0], p[1], width, height)), None)
    return f"point {outside} lies outside the {width}x{height} image" if outside else None


def _point(value: Any, width: int, height: int) -> str | None:
    if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
        return "must be [x, y] with numbers"
    return None if _inside(value[0], value[1], width, height) else f"point {value} lies outside the image"


def _rotated_box(value: Any, width: int, height: int) -> str | None:
    """Hub's exports give rotation in degrees within -180..180 (DOC-EXP); its import checks are not
    documented: assumed the same, and the box's centre inside the image (stricter)."""
    problem = _numbers(value, ("x", "y", "width", "height", "rotation"))
    if problem:
        return problem
    if value["width"] <= 0 or value["height"] <= 0:
        return "width and height must be > 0"
    if not -180 <= value["rotation"] <= 180:
        return f"rotation {value['rotation']} is outside -180..180 degrees"
    centre = (value["x"] + value["width"] / 2, value["y"] + value["height"] / 2)
    return None if _inside(*centre, width, height) else f"box centre {centre} lies outside the image"


def _segmentation(value: Any, width: int, height: int) -> str | None:
    zones = value.get("zones") if isinstance(value, dict) else None
    if not isinstance(zones, list) or not zones:
        return 'must be {"zones": [...]} with at least one zone'
    for zone in zones:
        if not isinstance(zone, dict) or set(zone) - {"region", "holes"}:
            return "every zone is an object with a region and (optionally) holes"
        problem = _points(zone.get("region"), 3, width, height)
        if problem:
            return f"zone region: {problem}"
        holes = zone.get("holes", [])
        if not isinstance(holes, list) or any(_points(h, 3, width, height) for h in holes):
            return "holes must be a list of rings of at least 3 [x, y] points inside the image"
    return None


def _pdf(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object"
    missing = {"x1", "y1", "x2", "y2", "pageNumber"} - set(value)
    return f"missing {sorted(missing)}" if missing else None


_CHECKS: dict[str, Callable[[Any, int, int], str | None]] = {
    "bounding-box": _bounding_box,
    "rotated-bounding-box": _rotated_box,
    "polygon": lambda v, w, h: _points(v, 3, w, h),
    "polyline": lambda v, w, h: _points(v, 2, w, h),
    "point": _point,
    "segmentation": _segmentation,
    "ner": lambda v, w, h: _numbers(v, ("start", "end")),
    "pdf": lambda v, w, h: _pdf(v),
}


def check_geometry(tool: str, value: Any, width: int, height: int) -> str | None:
    """None when `value` is a valid `tool` geometry for a `width`x`height` asset, else the problem."""
    check = _CHECKS.get(tool)
    if check is None:
        return f"tool type {tool!r} cannot be imported"
    return check(value, width, height)
