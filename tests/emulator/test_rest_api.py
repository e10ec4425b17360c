"""The /v2 REST API through real HTTP, partly through the real `imerit_ango.sdk.SDK`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from imerit_ango.sdk import SDK

from infra import demo_data as d
from infra.emulator.control import EmulatorControl

pytestmark = pytest.mark.integration

BOX = {"x": 10, "y": 10, "width": 20, "height": 20}


def _get(emu: EmulatorControl, path: str, key: str | None = d.API_KEY, **params: Any) -> requests.Response:
    headers = {"apikey": key} if key else {}
    return requests.get(f"{emu.base_url}{path}", headers=headers, params=params, timeout=10)


def _import(emu: EmulatorControl, items: list[dict[str, Any]]) -> requests.Response:
    body = {"project": d.PROJECT_ID, "jsonContent": items}
    return requests.post(
        f"{emu.base_url}/v2/import/labels", headers={"apikey": d.API_KEY}, json=body, timeout=10
    )


def _face(external_id: str) -> dict[str, Any]:
    return {"externalId": external_id, "objects": [{"schemaId": d.FACE_SCHEMA_ID, "bounding-box": BOX}]}


def _sdk(emu: EmulatorControl) -> Any:
    return SDK(api_key=d.API_KEY, host=emu.base_url)


def test_auth_and_project_visibility(emu: EmulatorControl) -> None:
    for key in (None, "wrong"):
        response = _get(emu, f"/v2/project/{d.PROJECT_ID}", key=key)
        assert (response.status_code, response.json()) == (
            401,
            {"status": "fail", "message": "Invalid API KEY"},
        )
    for key, project in ((d.OTHER_API_KEY, d.PROJECT_ID), (d.API_KEY, "0" * 24)):
        response = _get(emu, f"/v2/project/{project}/assets", key=key)
        assert (response.status_code, response.json()["message"]) == (404, f"Invalid project: {project}")
    project = _sdk(emu).get_project(d.PROJECT_ID)["data"]["project"]
    assert {b["name"] for b in project["batches"]} == {d.BATCH_A_NAME, d.BATCH_B_NAME}
    assert project["categorySchema"]["tools"][0]["schemaId"] == d.FACE_SCHEMA_ID


def test_sdk_paging_walks_every_asset_once(emu: EmulatorControl) -> None:
    sdk, seen, page = _sdk(emu), [], 1
    while True:
        data = sdk.get_assets(d.PROJECT_ID, page=page, limit=9)["data"]
        seen += [a["_id"] for a in data["assets"]]
        if not data["assets"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == data["total"] == len(d.demo_images())
    asset = sdk.get_assets(d.PROJECT_ID)["data"]["assets"][0]
    assert set(asset) == {"_id", "externalId", "data", "batches", "isPreLabeled", "metadata"}
    download = requests.get(asset["data"], timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"] == "image/jpeg"
    assert _get(emu, f"/files/{d.PROJECT_ID}/nope.jpg", key=None).status_code == 404


def test_listings_are_newest_first_and_uploads_push_the_pages_down(emu: EmulatorControl) -> None:
    """Hub's `sort` defaults to `-createdAt` and the SDK sends none: the last asset uploaded is
    listed first, on the assets and on the tasks listing alike."""
    sdk = _sdk(emu)
    seeded = [d.asset_id(d.PROJECT_ID, i) for i in range(len(d.demo_images()))]
    first = sdk.get_assets(d.PROJECT_ID, page=1, limit=5)["data"]
    assert [a["_id"] for a in first["assets"]] == seeded[::-1][:5]
    tasks = sdk.get_tasks(d.PROJECT_ID, page=1, limit=5)["data"]["tasks"]
    assert [t["asset"]["_id"] for t in tasks] == seeded[::-1][:5]
    emu.configure(uploads_per_listing=3)
    again = sdk.get_assets(d.PROJECT_ID, page=1, limit=5)["data"]
    assert again["total"] == first["total"] + 3
    assert [a["_id"] for a in again["assets"]][3:] == seeded[::-1][:2]  # three new ones in front
    new = again["assets"][0]
    assert new["externalId"].startswith("upload-") and new["_id"] not in seeded
    assert requests.get(new["data"], timeout=10).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "x"}, {"filters": "{bad"}, {"filters": "[]"}],
)
def test_paging_and_filter_bounds(emu: EmulatorControl, params: dict[str, Any]) -> None:
    response = _get(emu, f"/v2/project/{d.PROJECT_ID}/assets", **params)
    assert response.status_code == 400 and response.json()["status"] == "fail"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"batches": [d.BATCH_A_ID, d.BATCH_B_ID]}, 4),
        ({"externalId": d.DUPLICATE_EXTERNAL_ID}, 2),
        ({"isPreLabeled": True}, 0),
        ({"bogus": 1}, None),
        ({"batches": [d.BATCH_A_NAME]}, None),
        ({"isPreLabeled": "yes"}, None),
    ],
)
def test_filters(emu: EmulatorControl, filters: dict[str, Any], expected: int | None) -> None:
    response = _get(emu, f"/v2/project/{d.PROJECT_ID}/assets", filters=json.dumps(filters))
    if expected is None:
        assert response.status_code == 400
    else:
        assert response.json()["data"]["total"] == expected


def test_prelabeled_filter_combines_with_batches(emu: EmulatorControl) -> None:
    _sdk(emu).import_labels(d.PROJECT_ID, [_face("camera.jpg"), _face(d.DUPLICATE_EXTERNAL_ID)])
    sdk, a = _sdk(emu), d.BATCH_A_ID
    both = sdk.get_assets(d.PROJECT_ID, limit=100, filters={"isPreLabeled": True, "batches": [a]})["data"]
    assert sorted(x["externalId"] for x in both["assets"]) == ["camera.jpg", d.DUPLICATE_EXTERNAL_ID]
    assert all(x["batches"] == [a] and x["isPreLabeled"] for x in both["assets"])
    rest = sdk.get_assets(d.PROJECT_ID, limit=100, filters={"isPreLabeled": False, "batches": [a]})["data"]
    assert rest["total"] == 43 - 2 and all(a in x["batches"] for x in rest["assets"])


def test_import_by_external_id_hits_every_duplicate(emu: EmulatorControl) -> None:
    result = _sdk(emu).import_labels(d.PROJECT_ID, [_face(d.DUPLICATE_EXTERNAL_ID)])
    assert result == {"status": "success", "data": {"imported": 1, "assetsUpdated": 2, "skippedNotTodo": 0}}
    hits = [a for a in emu.labels(d.PROJECT_ID)["assets"] if a["isPreLabeled"]]
    assert [a["externalId"] for a in hits] == [d.DUPLICATE_EXTERNAL_ID] * 2


def test_import_is_all_or_nothing(emu: EmulatorControl) -> None:
    bad = {"externalId": "camera.jpg", "objects": [{"schemaId": d.PERSON_SCHEMA_ID, "bounding-box": BOX}]}
    response = _import(emu, [_face("camera.jpg"), bad])
    assert response.status_code == 400
    assert response.json()["message"].startswith("jsonContent[1]: objects[0]")
    assert not any(a["isPreLabeled"] for a in emu.labels(d.PROJECT_ID)["assets"])


def test_to_do_rule_append_replace_and_item_cap(emu: EmulatorControl) -> None:
    assert emu.set_task_status(d.PROJECT_ID, "COMPLETED", external_ids=["coffee.jpg"]) == 1
    response = _import(emu, [_face("coffee.jpg"), _face("camera.jpg")])
    assert response.json()["data"] == {"imported": 1, "assetsUpdated": 1, "skippedNotTodo": 1}
    _import(emu, [_face("camera.jpg")])
    counts = {a["externalId"]: len(a["answer"]["tools"]) for a in emu.labels(d.PROJECT_ID)["assets"]}
    assert (counts["coffee.jpg"], counts["camera.jpg"]) == (0, 2)
    emu.configure(import_mode="replace", max_import_items=2)
    _import(emu, [_face("camera.jpg")])
    camera = next(a for a in emu.labels(d.PROJECT_ID)["assets"] if a["externalId"] == "camera.jpg")
    assert (len(camera["answer"]["tools"]), camera["importCount"]) == (1, 3)
    assert _import(emu, [_face("camera.jpg")] * 3).status_code == 413


def test_rest_plugin_log_and_stats(emu: EmulatorControl) -> None:
    body = {"level": "INFO", "session": "unknown", "msg": "via REST"}
    url = f"{emu.base_url}/v2/pluginLog"
    assert requests.post(url, json=body, headers={"apikey": d.API_KEY}, timeout=10).status_code == 200
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert emu.orphans() == [{"event": "log", "via": "rest", "data": body}]
    assert emu.stats()["POST /v2/pluginLog"] == {"200": 1, "401": 1}
    emu.reset_stats()
    assert emu.stats() == {}


def test_a_file_can_be_lost_and_come_back(emu: EmulatorControl) -> None:
    assets = _get(emu, f"/v2/project/{d.PROJECT_ID}/assets").json()["data"]["assets"]
    listed = next(a for a in assets if a["externalId"] != d.DUPLICATE_EXTERNAL_ID)  # one asset alone
    url, external_id = listed["data"], listed["externalId"]
    assert requests.get(url, timeout=10).status_code == 200
    assert emu.set_files_present(d.PROJECT_ID, False, [external_id]) == 1
    assert requests.get(url, timeout=10).status_code == 404
    assert emu.set_files_present(d.PROJECT_ID, True, [external_id]) == 1
    assert requests.get(url, timeout=10).status_code == 200
