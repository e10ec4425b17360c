"""Label import: validation (all-or-nothing), the To-Do rule, append vs replace (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from infra import demo_data as d
from infra.emulator.errors import ApiError
from infra.emulator.imports import apply_import, plan_import
from infra.emulator.model import Project

from .factories import BASE_URL, face, small_project

pytestmark = pytest.mark.unit


def _apply(project: Project, items: list[dict[str, Any]], mode: str = "append") -> dict[str, int]:
    return apply_import(plan_import(project, items, BASE_URL, 1000), mode)


def _problem(items: Any, max_items: int = 1000) -> str:
    with pytest.raises(ApiError) as err:
        plan_import(small_project(), items, BASE_URL, max_items)
    assert err.value.status in (400, 413)
    return err.value.message


def test_valid_import_stores_tools_with_ids_and_metadata() -> None:
    project = small_project()
    item = face("a1")
    item["objects"][0]["objectId"] = "mine"
    item["classifications"] = [{"schemaId": d.SCENE_SCHEMA_ID, "answer": "Space"}]
    assert _apply(project, [item, face("a1")]) == {"imported": 2, "assetsUpdated": 1, "skippedNotTodo": 0}
    asset = project.assets[0]
    tools = asset.answer["tools"]
    assert tools[0]["objectId"] == "mine" and len(tools[1]["objectId"]) == 32
    assert all(t["lock"] is False and t["metadata"]["createdBy"] == "import" for t in tools)
    assert asset.is_prelabeled and asset.import_count == 2
    assert asset.answer["classifications"] == [{"schemaId": d.SCENE_SCHEMA_ID, "answer": "Space"}]


def test_by_data_url_and_duplicate_external_ids() -> None:
    project = small_project()
    url = f"{BASE_URL}/files/{project.id}/{project.assets[1].filename}"
    item = {"data": url, "objects": face("x")["objects"]}
    assert _apply(project, [item])["assetsUpdated"] == 1
    assert _apply(project, [face("dup")])["assetsUpdated"] == 2


def test_to_do_rule_and_replace() -> None:
    project = small_project()
    project.assets[0].status = "COMPLETED"
    assert _apply(project, [face("a1"), face("a2")]) == {
        "imported": 1,  # the item aimed at the COMPLETED task is not claimed
        "assetsUpdated": 1,
        "skippedNotTodo": 1,
    }
    assert project.assets[0].answer["tools"] == [] and not project.assets[0].is_prelabeled
    _apply(project, [face("a2")])
    assert len(project.assets[1].answer["tools"]) == 2
    _apply(project, [face("a2"), face("a2")], mode="replace")
    assert len(project.assets[1].answer["tools"]) == 2  # reset once per request, then appended


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([], "non-empty"),
        ([{"externalId": "a1"}], "no objects"),
        ([face("missing")], "no asset"),
        ([{**face("a1"), "data": "x"}], "exactly one of externalId or data"),
        ([{**face("a1"), "assetId": "x"}], "unknown keys"),
        ([face("a1", width=-1)], "> 0"),
        ([face("a1", x=95)], "outside"),
        ([face("a1", x="1")], "non-numeric"),
        ([{"externalId": "a1", "objects": [{"schemaId": "nope", "bounding-box": {}}]}], "not a tool"),
        (
            [{"externalId": "a1", "objects": [{"schemaId": d.PERSON_SCHEMA_ID, "bounding-box": {}}]}],
            "'polygon'",
        ),
        ([{"externalId": "a1", "objects": [{"schemaId": d.PERSON_SCHEMA_ID, "polygon": [[1, 2]]}]}], "3"),
        (
            [{"externalId": "a1", "classifications": [{"schemaId": d.SCENE_SCHEMA_ID, "answer": "Mars"}]}],
            "one of",
        ),
        (
            [{"externalId": "a1", "classifications": [{"schemaId": d.EXPRESSION_SCHEMA_ID, "answer": "x"}]}],
            "not",
        ),
        ([{"externalId": "a1", "relations": [{"schemaId": d.RELATION_SCHEMA_ID}]}], "from/to"),
        ([{**face("a1"), "objects": [{**face("a1")["objects"][0], "lock": "yes"}]}], "lock"),
    ],
)
def test_validation_errors_name_the_item(items: list[dict[str, Any]], fragment: str) -> None:
    assert fragment in _problem([face("a2"), *items] if items else items)
    if items:
        assert _problem([face("a2"), *items]).startswith("jsonContent[1]")


def test_nested_classification_belongs_to_its_tool_and_cap() -> None:
    project = small_project()
    item = face("a1")
    item["objects"][0]["classifications"] = [{"schemaId": d.EXPRESSION_SCHEMA_ID, "answer": "Smiling"}]
    assert _apply(project, [item])["assetsUpdated"] == 1
    assert "at most 2" in _problem([face("a1")] * 3, max_items=2)
