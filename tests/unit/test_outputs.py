"""Prediction shapes, their conversions to the mapped tool, and their import geometry
(handler/outputs/)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from handler.contract.model import ModelSpec, NoConfig, Prediction
from handler.outputs.conversions import TOOLS_FOR, can_fill, convert, corners, mask_zones
from handler.outputs.geometry import import_geometry
from handler.outputs.prelabels import BadModelOutputError, validate_output
from handler.outputs.shapes import (
    BoundingBox,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Segmentation,
    Span,
    Tag,
    Text,
    Zone,
)

pytestmark = pytest.mark.unit
BOX = BoundingBox(x=10, y=20, width=30, height=40)


def ring_mask() -> np.ndarray:
    """A 40x30 block with a 10x10 hole, and a separate 5x5 square: two parts, one hole."""
    mask = np.zeros((100, 120), dtype=bool)
    mask[10:40, 10:50] = True
    mask[20:30, 20:30] = False
    mask[70:75, 90:95] = True
    return mask


def test_a_box_becomes_a_polygon_of_its_corners_and_a_rotated_box_turned_by_nothing() -> None:
    (polygon,) = convert(BOX, "polygon")
    assert polygon == Polygon(points=((10, 20), (40, 20), (40, 60), (10, 60)))
    (rotated,) = convert(BOX, "rotated-bounding-box")
    assert rotated == RotatedBox(x=10, y=20, width=30, height=40, rotation=0)


def test_a_rotated_box_turns_about_its_centre_and_its_box_is_the_one_around_its_corners() -> None:
    turned = RotatedBox(x=0, y=0, width=40, height=20, rotation=90)  # centre (20, 10)
    assert [tuple(round(v, 6) for v in p) for p in corners(turned)] == [
        (30, -10),
        (30, 30),
        (10, 30),
        (10, -10),
    ]
    (box,) = convert(turned, "bounding-box")
    assert (round(box.x, 6), round(box.y, 6), round(box.width, 6), round(box.height, 6)) == (10, -10, 20, 40)


def test_a_mask_keeps_its_holes_as_segmentation_and_each_part_is_a_polygon() -> None:
    mask = Mask(mask=ring_mask())
    (segmentation,) = convert(mask, "segmentation", tolerance=1.0)
    assert isinstance(segmentation, Segmentation) and len(segmentation.zones) == 2
    big = max(segmentation.zones, key=lambda zone: len(zone.holes))
    assert len(big.holes) == 1 and {(10.0, 10.0), (49.0, 39.0)} <= set(big.region)
    polygons = convert(mask, "polygon")
    assert len(polygons) == 2 and all(isinstance(p, Polygon) for p in polygons)
    (box,) = convert(mask, "bounding-box")
    assert box == BoundingBox(x=10, y=10, width=85, height=65)  # from the block's corner to the square's


def test_the_tolerance_simplifies_a_round_mask_and_zero_keeps_every_step() -> None:
    yy, xx = np.mgrid[:200, :200]
    disc = (xx - 100) ** 2 + (yy - 100) ** 2 < 80**2
    coarse, fine = mask_zones(disc, 3.0), mask_zones(disc, 0.0)
    assert len(coarse) == len(fine) == 1
    assert 8 <= len(coarse[0].region) < 40 < len(fine[0].region)


def test_an_empty_mask_makes_no_object() -> None:
    assert convert(Mask(mask=np.zeros((10, 10))), "polygon") == []


@pytest.mark.parametrize("value", [np.zeros(5), np.zeros((2, 2, 3)), np.array([["a"]]), [[]]])
def test_a_mask_that_is_not_a_2d_array_is_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        Mask(mask=value)


def test_a_rotation_out_of_range_and_a_hole_of_two_points_are_refused() -> None:
    with pytest.raises(ValidationError):
        RotatedBox(x=0, y=0, width=1, height=1, rotation=181)
    with pytest.raises(ValidationError):
        Zone(region=((0, 0), (1, 0), (1, 1)), holes=(((0, 0), (1, 1)),))


def test_no_conversion_invents_what_the_shape_does_not_hold() -> None:
    assert TOOLS_FOR["point"] == ("point",) and TOOLS_FOR["polyline"] == ("polyline",)
    assert not can_fill("bounding-box", "segmentation") and not can_fill("mask", "point")
    with pytest.raises(ValueError, match="cannot fill"):
        convert(Point(x=1, y=1), "bounding-box")
    samples = {
        "bounding-box": BOX,
        "rotated-bounding-box": RotatedBox(x=10, y=10, width=20, height=10, rotation=30),
        "polygon": Polygon(points=((0, 0), (10, 0), (10, 10))),
        "polyline": Polyline(points=((0, 0), (10, 10))),
        "point": Point(x=3, y=4),
        "segmentation": Segmentation(zones=(Zone(region=((0, 0), (10, 0), (10, 10))),)),
        "mask": Mask(mask=ring_mask()),
        "ner": Span(start=0, end=3),
    }
    for kind, tools in TOOLS_FOR.items():  # every pair the table allows converts, to that tool's shape
        for tool in tools:  # (a PDF area is the box around the shape, put on its page by paged_items)
            wanted = "bounding-box" if tool == "pdf" else tool
            assert {shape.kind for shape in convert(samples[kind], tool)} == {wanted}, (kind, tool)


def test_import_geometry_clips_to_the_image_and_drops_what_lies_outside() -> None:
    size = (100, 50)
    assert import_geometry(BoundingBox(x=-10, y=40, width=30, height=30), size) == {
        "x": 0.0,
        "y": 40.0,
        "width": 20.0,
        "height": 10.0,
    }
    assert import_geometry(BoundingBox(x=200, y=0, width=5, height=5), size) is None
    assert import_geometry(Polygon(points=((-5, -5), (50, 0), (50, 60))), size) == [[0, 0], [50, 0], [50, 50]]
    assert import_geometry(Polygon(points=((200, 0), (300, 0), (300, 40))), size) is None
    assert import_geometry(Polyline(points=((0, 0), (10, 10))), size) == [[0, 0], [10, 10]]
    assert import_geometry(Point(x=101, y=1), size) is None
    turned = RotatedBox(x=90, y=40, width=30, height=20, rotation=45)  # centre (105, 50): outside
    assert import_geometry(turned, size) is None
    assert import_geometry(RotatedBox(x=10, y=10, width=30, height=20, rotation=-30.123), size) == {
        "x": 10,
        "y": 10,
        "width": 30,
        "height": 20,
        "rotation": -30.12,
    }
    zones = (Zone(region=((0, 0), (40, 0), (40, 40), (0, 40)), holes=(((10, 10), (20, 10), (20, 20)),)),)
    assert import_geometry(Segmentation(zones=zones), size) == {
        "zones": [{"region": [[0, 0], [40, 0], [40, 40], [0, 40]], "holes": [[[10, 10], [20, 10], [20, 20]]]}]
    }


def test_answers_are_checked_where_the_model_hands_them_over() -> None:
    spec = ModelSpec(
        classes={"Word": "polygon", "text": "text", "blurred": "tag"},
        config=NoConfig,
        nested={"text": "Word"},
    )
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    word = Polygon(points=((0, 0), (5, 0), (5, 5)))
    read = Prediction(class_name="text", shape=Text(text="HELLO"))
    good = [
        Prediction(class_name="Word", shape=word, answers=(read,)),
        Prediction(class_name="blurred", shape=Tag(), score=0.7),
    ]
    assert validate_output([good], [image], spec) == [good]
    wrong = {
        "belongs in the answers of a 'Word'": [read],  # a nested class given about the whole image
        "'blurred' belongs at the top": [Prediction(class_name="Word", shape=word, answers=(good[1],))],
        "'text' must be a text, got tag": [
            Prediction(class_name="Word", shape=word, answers=(Prediction(class_name="text", shape=Tag()),))
        ],
        "is an answer and cannot hold answers": [
            Prediction(class_name="blurred", shape=Tag(), answers=(good[1],))
        ],
    }
    for said, predictions in wrong.items():
        with pytest.raises(BadModelOutputError, match=said):
            validate_output([predictions], [image], spec)
    with pytest.raises(ValidationError, match="blank"):
        Text(text="  ")
    with pytest.raises(ValueError, match="must belong to an object class"):
        ModelSpec(classes={"a": "tag", "b": "tag"}, config=NoConfig, nested={"a": "b"})
    with pytest.raises(ValueError, match="must be a tag or text class"):
        ModelSpec(classes={"a": "polygon", "b": "polygon"}, config=NoConfig, nested={"a": "b"})
