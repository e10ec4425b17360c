"""`GET .../tasks` building blocks: the SDK's TaskFilter JSON, strict refusals, the task shape (no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from imerit_ango.models.task_filter import StringFilter, TaskFilter

from infra import demo_data as d
from infra.emulator.errors import ApiError
from infra.emulator.imports import apply_import, plan_import
from infra.emulator.model import Project
from infra.emulator.tasks import (
    check_query_params,
    describe_task,
    parse_include_answer,
    parse_task_filter,
    select_tasks,
)

from .factories import BASE_URL, A, B, face, small_project

pytestmark = pytest.mark.unit


def _external_ids(project: Project, task_filter: TaskFilter | dict[str, Any]) -> list[str]:
    raw = task_filter.to_json() if isinstance(task_filter, TaskFilter) else json.dumps(task_filter)
    return [a.external_id for a, _ in select_tasks(project, parse_task_filter(raw, project))]


@pytest.mark.parametrize(
    ("task_filter", "expected"),
    [
        (TaskFilter(external_id="dup"), ["dup", "dup"]),
        (TaskFilter(external_id=StringFilter(in_list=["b1", "a1", "zzz"])), ["a1", "b1"]),
        (TaskFilter(batches=[B]), ["b1", "ab"]),  # $in on an array: in ANY listed batch
        (TaskFilter(batches=[A, B], external_id=StringFilter(in_list=["dup", "b1"])), ["b1", "dup"]),
        (TaskFilter(status="TODO", external_id=StringFilter(eq="a2")), ["a2"]),
        (TaskFilter(external_id=StringFilter(eq="a1", in_list=["a1", "a2"])), ["a1"]),  # operators AND
        (TaskFilter(), ["a1", "a2", "b1", "ab", "none", "dup", "dup"]),
    ],
)
def test_sdk_task_filters_select_in_insertion_order(task_filter: TaskFilter, expected: list[str]) -> None:
    assert _external_ids(small_project(), task_filter) == expected


def test_status_filter_sees_the_stored_status() -> None:
    project = small_project()
    project.assets[1].status = "COMPLETED"
    assert _external_ids(project, TaskFilter(status="COMPLETED")) == ["a2"]
    assert "a2" not in _external_ids(project, TaskFilter(status="TODO"))


def test_status_in_is_any_of_the_listed_statuses() -> None:
    project = small_project()
    project.assets[1].status = "COMPLETED"
    project.assets[3].status = "SKIPPED"
    either = TaskFilter(status=StringFilter(in_list=["SKIPPED", "COMPLETED"]))
    assert _external_ids(project, either) == ["a2", "ab"]
    with_batch = TaskFilter(status=StringFilter(in_list=["SKIPPED", "TODO"]), batches=[B])
    assert _external_ids(project, with_batch) == ["b1", "ab"]
    assert _external_ids(project, {"status": {"$in": ["REVIEWED"]}}) == []


@pytest.mark.parametrize(
    "raw",
    [
        "{bad",
        "[]",
        json.dumps({"stage": {"$eq": "Start"}}),
        json.dumps({"externalId": "a1"}),
        json.dumps({"externalId": {}}),
        json.dumps({"externalId": {"$ne": "a1"}}),
        json.dumps({"externalId": {"$regex": "a.*"}}),
        json.dumps({"externalId": {"$in": []}}),
        json.dumps({"externalId": {"$in": "a1"}}),
        json.dumps({"externalId": {"$in": [1]}}),
        json.dumps({"externalId": {"$in": [f"x{i}" for i in range(101)]}}),
        json.dumps({"externalId": {"$eq": 1}}),
        json.dumps({"batches": {"$eq": A}}),
        json.dumps({"batches": {"$in": [d.BATCH_A_NAME]}}),
        json.dumps({"status": {"$eq": "READY"}}),
        json.dumps({"status": {"$in": ["TODO", "READY"]}}),
        json.dumps({"status": {"$in": "TODO"}}),
        json.dumps({"status": {"$ne": "TODO"}}),
    ],
)
def test_unsupported_or_malformed_filters_are_400(raw: str) -> None:
    with pytest.raises(ApiError) as err:
        parse_task_filter(raw, small_project())
    assert err.value.status == 400


def test_include_answer_and_query_parameters() -> None:
    assert [parse_include_answer(v) for v in ("true", "True", "false", "False", None)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    for bad in ("1", "yes", "TRUE", ""):
        with pytest.raises(ApiError):
            parse_include_answer(bad)
    check_query_params({"page": "1", "limit": "10", "includeAnswer": "true", "filter": "{}"})
    for extra in ("sort", "fields", "status[eq]", "batches", "stage"):
        with pytest.raises(ApiError) as err:
            check_query_params({"page": "1", extra: "x"})
        assert extra in err.value.message


def test_task_shape_and_stable_ids() -> None:
    project = small_project()
    item = face("a1")
    item["objects"][0]["objectId"] = "box-1"
    apply_import(plan_import(project, [item], BASE_URL, 10), "append")
    asset = project.assets[0]
    task = describe_task(asset, project.id, True, BASE_URL)
    assert task["_id"] == small_project().assets[0].task_id != project.assets[1].task_id
    data = f"{BASE_URL}/files/{project.id}/{asset.filename}"
    # As the docs' "Get Tasks of Project" sample: no top-level externalId or batches.
    assert len(task["_id"]) == 24 and task["asset"] == {"_id": asset.id, "externalId": "a1", "data": data}
    assert {k: v for k, v in task.items() if k not in ("_id", "asset", "answer")} == {
        "project": project.id,
        "status": "TODO",
        "isPreLabeled": True,
    }
    assert describe_task(asset, project.id, False, BASE_URL, asset_form="id")["asset"] == asset.id
    other = describe_task(asset, project.id, False, BASE_URL, number=1)
    assert other["_id"] != task["_id"] and len(other["_id"]) == 24  # a consensus sibling
    assert [t["objectId"] for t in task["answer"]["tools"]] == ["box-1"]
    assert set(task["answer"]) == {"tools", "classifications", "relations"}
    task["answer"]["tools"].clear()  # a copy: the caller cannot change the stored answer
    assert asset.answer["tools"]
    assert "answer" not in describe_task(asset, project.id, False, BASE_URL)
