"""A model of every shape kind (tests/shapes_model.py) through mapping, policy, conversion and
import, on in-memory fakes; what Hub received is imported into the emulator's own project, under its
strict checks, and read back from what it stored."""

from __future__ import annotations

from typing import Any

import pytest

from infra.emulator.geometry import check_geometry
from listener.acceptance import RunRejected
from tests.functional.fakes import FakeHub
from tests.functional.world import World, hub_assets
from tests.shapes_model import SPEC

pytestmark = pytest.mark.unit
WIDTH, HEIGHT = 64, 48  # FakeStorage's picture

TOOLS = ("bounding-box", "rotated-bounding-box", "polygon", "polyline", "point", "segmentation")
ONTOLOGY = {"categorySchema": {"tools": [{"schemaId": t, "title": t.title(), "tool": t} for t in TOOLS]}}


def run(mapping: dict[str, str], **config: Any) -> World:
    world = World(FakeHub(hub_assets(2), {"type": "ango", **ONTOLOGY}), model="tests.shapes_model")
    world.run_mapped(mapping, **config)
    return world


def stored(world: World) -> list[dict[str, Any]]:
    """Every object the emulator stored, as Hub stores them (under `tools`), without its stamps."""
    return [
        {key: value for key, value in tool.items() if key not in ("lock", "metadata")}
        for answer in world.emulator_stored(WIDTH, HEIGHT).values()
        for tool in answer["tools"]
    ]


def test_each_kind_fills_its_own_tool_and_hub_takes_every_geometry() -> None:
    mapping = {
        "Box": "bounding-box",
        "Turned": "rotated-bounding-box",
        "Outline": "polygon",
        "Lane": "polyline",
        "Spot": "point",
        "Region": "segmentation",
        "Blob": "segmentation",
    }
    world = run(mapping)
    objects = stored(world)
    assert len(objects) == 2 * 7  # one of each per asset
    for obj in objects:
        (tool,) = set(obj) - {"schemaId", "objectId"}
        assert tool == obj["schemaId"] and check_geometry(tool, obj[tool], WIDTH, HEIGHT) is None, obj
    blobs = [o for o in objects if o["objectId"].endswith("-6")]
    assert all(len(o["segmentation"]["zones"][0]["holes"]) == 1 for o in blobs)  # the hole is kept
    ((message, error),) = world.notifier.responses
    assert not error and "with 14 objects" in message and "1 objects converted" not in message
    assert "2 objects converted to their mapped tool's shape" in message  # the masks


def test_shapes_convert_to_the_tools_they_are_mapped_to_without_inventing_anything() -> None:
    mapping = {"Box": "polygon", "Turned": "bounding-box", "Outline": "segmentation", "Blob": "polygon"}
    world = run(mapping, polygon_tolerance=0)
    objects = stored(world)
    for obj in objects:
        (tool,) = set(obj) - {"schemaId", "objectId"}
        assert check_geometry(tool, obj[tool], WIDTH, HEIGHT) is None, obj
    first = [o for o in objects if "-a0-" in o["objectId"]]
    assert [set(o) - {"schemaId", "objectId"} for o in first] == [
        {"polygon"},
        {"bounding-box"},
        {"segmentation"},
        {"polygon"},
    ]
    box_polygon = first[0]["polygon"]  # Box (6.4, 4.8, 19.2 x 9.6) as its four corners
    assert box_polygon == [[6.4, 4.8], [25.6, 4.8], [25.6, 14.4], [6.4, 14.4]]
    assert "8 objects converted" in world.notifier.responses[0][0]


@pytest.mark.parametrize(
    ("model_class", "schema_id", "said"),
    [
        (
            "Spot",
            "bounding-box",
            "'Spot' produces point shapes but is mapped to 'Bounding-Box', a bounding-box tool",
        ),
        ("Lane", "polygon", "Map it to a polyline tool"),
        ("Box", "segmentation", "Map it to a bounding-box or polygon or rotated-bounding-box or pdf tool"),
        ("Blob", "point", "Map it to a segmentation or polygon or bounding-box or pdf tool"),
        ("Box", "scene", "is mapped to 'Scene', a radio classification of this project"),
        ("Box", "near", "is mapped to 'Near', a one-to-one relation of this project"),
        ("Box", "kind", "is mapped to 'Kind', a checkbox classification nested in 'Car'"),
    ],
)
def test_a_mapping_that_cannot_work_refuses_the_run_naming_class_tool_and_what_would(
    model_class: str, schema_id: str, said: str
) -> None:
    schema = {
        "tools": [
            *ONTOLOGY["categorySchema"]["tools"],
            {
                "schemaId": "box2",
                "title": "Car",
                "tool": "bounding-box",
                "classifications": [{"schemaId": "kind", "title": "Kind", "tool": "checkbox"}],
            },
        ],
        "classifications": [{"schemaId": "scene", "title": "Scene", "tool": "radio"}],
        "relations": [{"schemaId": "near", "title": "Near", "tool": "one-to-one"}],
    }
    world = World(FakeHub(hub_assets(1), {"categorySchema": schema}), model="tests.shapes_model")
    with pytest.raises(RunRejected) as refused:
        world.acceptor.accept(
            {
                "projectId": "proj",
                "apiKey": "key-1",
                "session": "s1",
                "categorySchema": [{"modelClass": model_class, "schemaId": schema_id}],
            }
        )
    assert said in str(refused.value)
    assert world.sqs.bodies("sqs://jobs") == []


def test_the_spec_lists_one_class_of_each_kind() -> None:
    assert sorted(SPEC.classes.values()) == sorted([*TOOLS, "mask"])
