"""A model that answers classifications (tests/answers_model.py), through mapping, policy and import
on in-memory fakes; what Hub received is then imported into the emulator's own project, with its
strict checks, and read back from what it stored."""

from __future__ import annotations

from typing import Any

import pytest

from listener.acceptance import RunRejected
from tests.functional.fakes import FakeHub
from tests.functional.world import World, hub_assets

pytestmark = pytest.mark.unit
WIDTH, HEIGHT = 64, 48  # FakeStorage's picture


def options(*texts: str) -> list[dict[str, str]]:
    return [{"value": text, "schemaId": f"opt-{text.lower().replace(' ', '-')}"} for text in texts]


SCHEMA: dict[str, Any] = {
    "tools": [
        {
            "schemaId": "car",
            "title": "Car",
            "tool": "bounding-box",
            "classifications": [
                {"schemaId": "type", "title": "Type", "tool": "radio", "options": options("Sedan", "Truck")},
                {"schemaId": "plate", "title": "Plate", "tool": "text"},
            ],
        },
        {"schemaId": "person", "title": "Person", "tool": "bounding-box"},
    ],
    "classifications": [
        {"schemaId": "scene", "title": "Scene", "tool": "radio", "options": options("Indoor", "Outdoor")},
        {
            "schemaId": "quality",
            "title": "Quality",
            "tool": "checkbox",
            "options": options("Blurred", "Too dark", "Over-exposed"),
            "classifications": [{"schemaId": "why", "title": "Why", "tool": "text"}],
        },
        {"schemaId": "caption", "title": "Caption", "tool": "text"},
        {"schemaId": "weather", "title": "Weather", "tool": "single-dropdown", "options": options("Sun")},
    ],
    "relations": [],
}
# Each way a class may be mapped: to an option, to a classification (its option named like the
# class), and, for the nested plate, not at all (the Car tool's only nested text takes it).
MAPPING = {
    "Car": "car",
    "sedan": "opt-sedan",
    "truck": "type",
    "indoor": "opt-indoor",
    "outdoor": "scene",
    "blurred": "quality",
    "too-dark": "opt-too-dark",
    "caption": "caption",
}


def run(mapping: dict[str, str], **config: Any) -> World:
    world = World(FakeHub(hub_assets(2), {"categorySchema": SCHEMA}), model="tests.answers_model")
    world.run_mapped(mapping, **config)
    return world


def answers(stored: list[dict[str, Any]]) -> dict[str, Any]:
    return {entry["schemaId"]: entry["answer"] for entry in stored}


def test_answers_about_the_image_and_about_each_object_land_where_the_mapping_says() -> None:
    world = run(MAPPING)
    stored = world.emulator_stored()
    assert set(stored) == {"a0", "a1"}
    for answer in stored.values():
        assert answers(answer["classifications"]) == {
            "scene": "Outdoor",  # one answer for a radio: the best scored (0.7 over 0.4)
            "quality": ["Blurred", "Too dark"],  # a checkbox: every option answered
            "caption": "a car on a street",
        }
        (car,) = answer["tools"]
        assert car["schemaId"] == "car" and car["bounding-box"]["width"] == WIDTH / 2
        # The type: best of sedan (0.8) and truck (0.3); the plate, mapped by no one, went to
        # the Car tool's only nested text.
        assert answers(car["classifications"]) == {"type": "Sedan", "plate": "AB-123"}
    ((message, error),) = world.notifier.responses
    assert not error
    assert "Pre-labeled 2 of 2 assets with 2 objects and 10 classification answers" in message


def test_min_score_applies_to_answers_as_to_objects() -> None:
    world = run(MAPPING, min_score=0.5, class_min_score={"outdoor": 0.75, "plate": 0.99})
    for answer in world.emulator_stored().values():
        # indoor (0.4) and outdoor (0.7) are both under their thresholds: no scene answer at all
        assert answers(answer["classifications"]) == {
            "quality": ["Blurred", "Too dark"],
            "caption": "a car on a street",
        }
        (car,) = answer["tools"]
        assert answers(car["classifications"]) == {"type": "Sedan"}  # truck 0.3 and plate 0.95 < 0.99
    ((message, _),) = world.notifier.responses
    assert "6 classification answers" in message and "below min_score" in message


def test_an_image_with_answers_and_no_objects_is_still_pre_labeled() -> None:
    world = run({"blurred": "opt-blurred"})
    for answer in world.emulator_stored().values():
        assert answer["tools"] == [] and answers(answer["classifications"]) == {"quality": ["Blurred"]}
    ((message, _),) = world.notifier.responses
    assert "Pre-labeled 2 of 2 assets with 0 objects and 2 classification answers" in message


@pytest.mark.parametrize(
    ("mapping", "said"),
    [
        (
            {"blurred": "scene"},
            "'blurred' is mapped to 'Scene', a radio classification of this project, which has no option "
            "named 'blurred' (its options: 'Indoor', 'Outdoor'); map 'blurred' to one of its options.",
        ),
        ({"caption": "scene"}, "Map it to a text classification."),
        (
            {"blurred": "car"},
            "Map it to an option of a radio or checkbox or single-dropdown or multi-dropdown",
        ),
        ({"Car": "scene"}, "'Car' produces bounding-box shapes but is mapped to 'Scene', a radio"),
        ({"caption": "plate", "Car": "car"}, "'caption' answers about the whole asset but is mapped to"),
        (
            {"plate": "caption", "Car": "car"},
            "map it to a classification nested in 'Car', a bounding-box tool",
        ),
        ({"plate": "plate"}, "map 'Car' to a tool too, then 'plate' to a classification nested in that tool"),
        ({"Car": "person", "sedan": "opt-sedan"}, "map it to a classification nested in 'Person'"),
        ({"caption": "why"}, "which is nested in another classification"),
    ],
)
def test_an_answer_mapped_where_it_cannot_land_refuses_the_run(mapping: dict[str, str], said: str) -> None:
    with pytest.raises(RunRejected) as refused:
        run(mapping)
    assert said in str(refused.value)


def test_a_nested_answer_left_unmapped_is_dropped_when_no_single_nested_classification_fits() -> None:
    schema_tools = SCHEMA["tools"]
    assert [c["tool"] for c in schema_tools[1].get("classifications", [])] == []  # Person has none
    world = run({"Car": "person"})  # sedan, truck and plate have nowhere to go on a Person
    for answer in world.emulator_stored().values():
        (person,) = answer["tools"]
        assert "classifications" not in person
    ((message, _),) = world.notifier.responses
    assert "classification answers" not in message
    assert "6 predictions of unmapped classes" in message  # 3 nested answers on each of 2 cars
