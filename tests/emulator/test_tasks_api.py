"""`GET /v2/project/{id}/tasks` over real HTTP, and through the real `SDK.get_tasks`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from imerit_ango.models.task_filter import StringFilter, TaskFilter
from imerit_ango.sdk import SDK

from infra import demo_data as d
from infra.emulator.control import EmulatorControl

pytestmark = pytest.mark.integration

BOX = {"x": 10, "y": 10, "width": 20, "height": 20}
TASKS = f"/v2/project/{d.PROJECT_ID}/tasks"


def _get(
    emu: EmulatorControl, path: str = TASKS, key: str | None = d.API_KEY, **params: Any
) -> requests.Response:
    headers = {"apikey": key} if key else {}
    return requests.get(f"{emu.base_url}{path}", headers=headers, params=params, timeout=10)


def _face(external_id: str, object_id: str) -> dict[str, Any]:
    box = {"schemaId": d.FACE_SCHEMA_ID, "objectId": object_id, "bounding-box": BOX}
    return {"externalId": external_id, "objects": [box]}


def test_sdk_get_tasks_returns_imported_object_ids(emu: EmulatorControl) -> None:
    sdk = SDK(api_key=d.API_KEY, host=emu.base_url)
    items = [_face("camera.jpg", "cam-1"), _face(d.DUPLICATE_EXTERNAL_ID, "dup-1")]
    sdk.import_labels(d.PROJECT_ID, items)
    wanted = ["camera.jpg", d.DUPLICATE_EXTERNAL_ID, "coffee.jpg"]
    task_filter = TaskFilter(external_id=StringFilter(in_list=wanted))
    result = sdk.get_tasks(d.PROJECT_ID, page=1, limit=100, include_answer=True, task_filter=task_filter)
    assert result["status"] == "success" and result["data"]["total"] == 4
    tasks = result["data"]["tasks"]
    object_ids = {t["asset"]["externalId"]: [o["objectId"] for o in t["answer"]["tools"]] for t in tasks}
    assert object_ids == {"camera.jpg": ["cam-1"], d.DUPLICATE_EXTERNAL_ID: ["dup-1"], "coffee.jpg": []}
    shared = [t["isPreLabeled"] for t in tasks if t["asset"]["externalId"] == d.DUPLICATE_EXTERNAL_ID]
    assert shared == [True, True]
    assets = {a["externalId"]: a["_id"] for a in emu.labels(d.PROJECT_ID)["assets"]}
    camera = next(t for t in tasks if t["asset"]["externalId"] == "camera.jpg")
    assert camera["asset"]["_id"] == assets["camera.jpg"] and camera["project"] == d.PROJECT_ID
    assert set(camera["asset"]) == {"_id", "externalId", "data"}  # the docs' "Get Tasks of Project"
    assert set(camera) == {"_id", "asset", "project", "status", "isPreLabeled", "answer"}


def test_paging_walks_every_task_once_without_answers(emu: EmulatorControl) -> None:
    seen, page = [], 1
    while True:
        data = _get(emu, page=page, limit=7, includeAnswer="false").json()["data"]
        if not data["tasks"]:
            break
        assert all("answer" not in t for t in data["tasks"])
        seen += [t["_id"] for t in data["tasks"]]
        page += 1
    assert len(seen) == len(set(seen)) == data["total"] == len(d.demo_images())
    first = _get(emu, limit=1, includeAnswer="True").json()["data"]["tasks"][0]  # get_task's rendering
    assert first["_id"] == seen[0] and first["answer"] == {
        "tools": [],
        "classifications": [],
        "relations": [],
    }


def test_filters_by_batch_and_status(emu: EmulatorControl) -> None:
    emu.set_task_status(d.PROJECT_ID, "COMPLETED", external_ids=["camera.jpg"])
    by_batch = _get(emu, limit=100, filter=json.dumps({"batches": {"$in": [d.BATCH_B_ID]}})).json()["data"]
    assert by_batch["total"] == 17  # 13 in B only + 4 in both
    done = _get(emu, filter=json.dumps({"status": {"$eq": "COMPLETED"}})).json()["data"]["tasks"]
    assert [(t["asset"]["externalId"], t["status"]) for t in done] == [("camera.jpg", "COMPLETED")]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"page": 0},
        {"page": "x"},
        {"includeAnswer": "yes"},
        {"filter": "{bad"},
        {"filter": json.dumps({"stage": {"$eq": "Start"}})},
        {"filter": json.dumps({"externalId": {"$regex": ".*"}})},
        {"filter": json.dumps({"batches": {"$in": [d.BATCH_A_NAME]}})},
        {"sort": "-createdAt"},
        {"fields": "_id,asset"},
    ],
)
def test_strict_400s(emu: EmulatorControl, params: dict[str, Any]) -> None:
    response = _get(emu, **params)
    assert response.status_code == 400 and response.json()["status"] == "fail"


def test_auth_project_access_faults_and_latency(emu: EmulatorControl) -> None:
    assert (_get(emu, key=None).status_code, _get(emu, key="wrong").status_code) == (401, 401)
    for key, path in ((d.OTHER_API_KEY, TASKS), (d.API_KEY, f"/v2/project/{'0' * 24}/tasks")):
        assert _get(emu, path, key=key).status_code == 404
    emu.configure(latency_ms=120)
    started = time.monotonic()
    assert _get(emu).status_code == 200
    assert time.monotonic() - started >= 0.12
    emu.configure(latency_ms=0, rest_429_rate=1.0)
    assert _get(emu).status_code == 429
    assert emu.stats()["GET /v2/project/<project_id>/tasks"] == {"200": 1, "401": 2, "404": 2, "429": 1}


def test_sdk_status_in_and_batches_in(emu: EmulatorControl) -> None:
    sdk = SDK(api_key=d.API_KEY, host=emu.base_url)
    emu.set_task_status(d.PROJECT_ID, "COMPLETED", external_ids=["camera.jpg"])
    emu.set_task_status(d.PROJECT_ID, "SKIPPED", external_ids=["coffee.jpg"])
    sdk.import_labels(d.PROJECT_ID, [_face("camera.jpg", "c"), _face("astronaut-full.jpg", "a")])
    not_todo = TaskFilter(status=StringFilter(in_list=["COMPLETED", "SKIPPED"]), batches=[d.BATCH_A_ID])
    tasks = sdk.get_tasks(d.PROJECT_ID, limit=100, task_filter=not_todo)["data"]["tasks"]
    assert [(t["asset"]["externalId"], t["status"], t["isPreLabeled"]) for t in tasks] == [
        ("coffee.jpg", "SKIPPED", False),  # newest first: coffee.jpg was seeded after camera.jpg
        ("camera.jpg", "COMPLETED", False),  # the import skipped it: not To Do
    ]
    todo = TaskFilter(status=StringFilter(in_list=["TODO"]), external_id="astronaut-full.jpg")
    (task,) = sdk.get_tasks(d.PROJECT_ID, task_filter=todo)["data"]["tasks"]
    assert (task["status"], task["isPreLabeled"], "batches" in task) == ("TODO", True, False)
    assert _get(emu, filter=json.dumps({"status": {"$in": ["TODO", "READY"]}})).status_code == 400
