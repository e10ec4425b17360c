"""The emulator's checks of each tool's import geometry (infra/emulator/geometry.py): strict where
Hub's are undocumented, so an adapter bug fails here rather than in production."""

from __future__ import annotations

from typing import Any

import pytest

from infra.emulator.geometry import check_geometry

pytestmark = pytest.mark.unit
W, H = 100, 50
SQUARE = [[10, 10], [40, 10], [40, 40], [10, 40]]


@pytest.mark.parametrize(
    ("tool", "value"),
    [
        ("bounding-box", {"x": 0, "y": 0, "width": 100, "height": 50}),
        ("rotated-bounding-box", {"x": 10, "y": 10, "width": 30, "height": 20, "rotation": -180}),
        ("polygon", SQUARE),
        ("polyline", [[0, 0], [100.5, 50.5]]),  # within the 1 px tolerance
        ("point", [100, 50]),
        ("segmentation", {"zones": [{"region": SQUARE, "holes": [[[15, 15], [20, 15], [20, 20]]]}]}),
        ("segmentation", {"zones": [{"region": SQUARE}]}),
    ],
)
def test_each_tools_geometry_inside_the_image_is_taken(tool: str, value: Any) -> None:
    assert check_geometry(tool, value, W, H) is None


@pytest.mark.parametrize(
    ("tool", "value", "said"),
    [
        ("rotated-bounding-box", {"x": 10, "y": 10, "width": 30, "height": 20, "rotation": 200}, "-180..180"),
        ("rotated-bounding-box", {"x": 90, "y": 40, "width": 30, "height": 20, "rotation": 0}, "centre"),
        ("rotated-bounding-box", {"x": 1, "y": 1, "width": 0, "height": 20, "rotation": 0}, "> 0"),
        ("polygon", [[10, 10], [40, 10], [400, 40]], "outside the 100x50 image"),
        ("polyline", [[0, 0]], "at least 2"),
        ("point", [-3, 5], "outside"),
        ("segmentation", {"zones": [{"region": SQUARE, "extra": 1}]}, "region and (optionally) holes"),
        ("segmentation", {"zones": [{"region": SQUARE, "holes": [[[1, 1], [2, 2]]]}]}, "rings of at least 3"),
        ("segmentation", {"zones": [{"region": [[0, 0], [200, 0], [0, 40]]}]}, "zone region: point"),
        ("segmentation", {"zones": []}, "at least one zone"),
    ],
)
def test_a_geometry_outside_the_image_or_out_of_shape_is_refused(tool: str, value: Any, said: str) -> None:
    problem = check_geometry(tool, value, W, H)
    assert problem is not None and said in problem
