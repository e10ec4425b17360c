"""A Batch Model run end to end: emulator -> listener -> SQS -> two workers -> pre-labels -> response.

Real parts throughout: LocalStack's SQS/S3/KMS from template.yaml, real sockets, the real Haar
model, the adapter as separate processes. Only Ango Hub is the emulator.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from typing import Any

import pytest

from handler.contract.aws import make_clients
from handler.contract.ledger import Ledger
from handler.contract.settings import Settings
from infra import demo_data
from infra.demo import start_demo_run
from infra.emulator import documents
from infra.emulator.control import EmulatorControl
from infra.emulator.videos import FACE_VIDEO_SIZE, moving_face_mp4
from infra.processes import AdapterProcesses
from listener.acceptance import run_id_for

pytestmark = pytest.mark.integration
RUN_TIMEOUT = 180.0


def finish(emulator: EmulatorControl, session: str, adapter: AdapterProcesses) -> dict[str, Any]:
    try:
        state = emulator.wait_for_response(session, timeout=RUN_TIMEOUT)
    except TimeoutError:
        logs = "\n".join(
            f"--- {n}\n{adapter.log_text(n)[-3000:]}" for n in ("listener", "worker-0", "worker-1")
        )
        pytest.fail(f"no response for session {session}\n{logs}")
    return state


def assets_by_external_id(emulator: EmulatorControl) -> dict[str, dict[str, Any]]:
    return {a["_id"]: a for a in emulator.labels(demo_data.PROJECT_ID)["assets"]}


def test_a_run_prelabels_its_batch_and_touches_nothing_else(emulator, adapter, settings):
    before = assets_by_external_id(emulator)
    session = start_demo_run(emulator, batches=[demo_data.BATCH_A_ID], job_size=6)
    state = finish(emulator, session, adapter)

    assert len(state["responses"]) == 1, state["responses"]
    in_batch = [a for a in before.values() if demo_data.BATCH_A_ID in a["batches"]]
    message = state["responses"][0]["response"]
    assert message.startswith("Pre-labeled ") and f" of {len(in_batch)} assets" in message
    assert "0 assets failed" in message

    after = assets_by_external_id(emulator)
    faces = [a for a in after.values() if a["externalId"] in demo_data.FACE_EXTERNAL_IDS]
    assert faces and all(len(a["answer"]["tools"]) == 1 for a in faces)
    assert all(a["answer"]["tools"][0]["schemaId"] == demo_data.FACE_SCHEMA_ID for a in faces)
    assert all(a["importCount"] == 1 for a in faces)
    for asset_id, asset in after.items():
        if demo_data.BATCH_A_ID not in asset["batches"]:
            assert asset["importCount"] == before[asset_id]["importCount"], asset["externalId"]
    labeled = sum(1 for a in after.values() if a["importCount"] > before[a["_id"]]["importCount"])
    assert message.startswith(f"Pre-labeled {labeled} of ")

    levels_and_messages = [(log["level"], log["msg"]) for log in state["logs"]]
    jobs = math.ceil(len(in_batch) / 6)
    assert ("INFO", f"Listed {len(in_batch)} assets: {jobs} jobs queued.") in levels_and_messages
    assert any(msg.startswith("Progress: ") for _, msg in levels_and_messages)
    assert all(log["session"] == session and log["pluginId"] == demo_data.PLUGIN_ID for log in state["logs"])

    ledger = Ledger.of(settings, make_clients())
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    assert len(ledger.list_job_results(run_id)) == jobs
    final = ledger.load_final(run_id)
    assert final is not None and final.message == message


def test_several_batches_mean_any_of_them_and_a_rerun_skips_what_is_labeled(emulator, adapter):
    before = assets_by_external_id(emulator)
    either = [a for a in before.values() if {demo_data.BATCH_A_ID, demo_data.BATCH_B_ID} & set(a["batches"])]
    labeled_before = [a for a in either if a["answer"]["tools"]]  # by the first test's run over batch A
    assert labeled_before  # so the skip below is exercised
    session = start_demo_run(emulator, batches=[demo_data.BATCH_A_ID, demo_data.BATCH_B_ID])
    state = finish(emulator, session, adapter)
    assert len(state["responses"]) == 1
    message = state["responses"][0]["response"]
    assert f" of {len(either)} assets" in message
    assert f"{len(labeled_before)} assets skipped ({len(labeled_before)} already pre-labeled)" in message
    after = assets_by_external_id(emulator)
    assert all(after[a["_id"]]["answer"]["tools"] == a["answer"]["tools"] for a in labeled_before)
    outside = [
        a for a in before.values() if not {demo_data.BATCH_A_ID, demo_data.BATCH_B_ID} & set(a["batches"])
    ]
    assert all(after[a["_id"]]["importCount"] == a["importCount"] for a in outside)


def test_an_empty_selection_finishes_with_a_clear_message(emulator, adapter):
    project = next(p for p in demo_data.demo_seed()["projects"] if p["_id"] == demo_data.PROJECT_ID)
    empty_batch = "e" * 24
    emulator.seed(
        {
            "users": [
                {
                    "userId": demo_data.USER_ID,
                    "apiKey": demo_data.API_KEY,
                    "orgId": demo_data.ORG_ID,
                    "projects": [EMPTY_PROJECT_ID],
                }
            ],
            "projects": [
                {
                    **project,
                    "_id": EMPTY_PROJECT_ID,
                    "assets": [_as_json(a) for a in project["assets"][:3]],
                    "batches": [*project["batches"], {"_id": empty_batch, "name": "Empty"}],
                }
            ],
        }
    )
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=EMPTY_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=FACE_MAPPING,
        batches=[empty_batch],
        config_json="{}",
    )
    state = finish(emulator, session, adapter)
    assert [r["response"] for r in state["responses"]] == [
        "No assets match the selected batches; nothing was pre-labeled."
    ]


def _as_json(asset: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in asset.items() if k != "content"}
    return {**fields, "contentBase64": base64.b64encode(asset["content"]).decode()}


def test_an_unknown_batch_ends_the_run_with_hubs_reason(emulator, adapter):
    session = start_demo_run(emulator, batches=["0" * 24])
    state = finish(emulator, session, adapter)
    assert state["responses"] == [{"error": True, "session": session}]  # Hub's form for a failed run
    errors = [log["msg"] for log in state["logs"] if log["level"] == "ERROR"]
    assert errors[-1].startswith("Run failed: Could not list the project's assets: Ango Hub answered 400")


CONFIG_OK = json.dumps({"job_size": 10})
EMPTY_PROJECT_ID = "65d4c0de00000000000000e0"
FACE_MAPPING = [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Face"}]
# Faces on pictures, frames and pages as boxes; on PDF pages as PDF areas.
FACE_AND_AREA_MAPPING = [*FACE_MAPPING, {"schemaId": demo_data.FACE_AREA_SCHEMA_ID, "modelClass": "Face"}]


def raw_run(**overrides: Any) -> dict[str, Any]:
    """A payload as Hub sends it, for what Hub's UI would not let a user click (unknown project...)."""
    payload = {
        "projectId": demo_data.PROJECT_ID,
        "apiKey": demo_data.API_KEY,
        "orgId": demo_data.ORG_ID,
        "runBy": demo_data.USER_ID,
        "session": f"raw-{uuid.uuid4().hex}",
        "categorySchema": FACE_MAPPING,
        "batches": [demo_data.BATCH_A_ID],
        "configJSON": CONFIG_OK,
    }
    return {key: value for key, value in {**payload, **overrides}.items() if value is not ...}


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ({"config_json": "{not json"}, "Config JSON is not valid JSON"),
        ({"config_json": '{"model": {"min_neighbors": -1}}'}, "model.min_neighbors"),
        ({"category_schema": None}, "Please complete class mapping"),
        (
            {"category_schema": [{"schemaId": demo_data.SCENE_SCHEMA_ID, "modelClass": "Face"}]},
            "'Scene', a radio classification of this project. Map it to a bounding-box or polygon",
        ),
        ({"raw_payload": raw_run(projectId="f" * 24)}, f"Could not open project {'f' * 24}"),
        (
            {"raw_payload": raw_run(apiKey=demo_data.OTHER_API_KEY)},
            f"Could not open project {demo_data.PROJECT_ID}",
        ),
        ({"raw_payload": raw_run(apiKey="not-a-key")}, "Ango Hub refused the API key (401"),
        ({"raw_payload": raw_run(apiKey=...)}, "run request is invalid (fields: apiKey)"),
    ],
    ids=[
        "bad-json",
        "bad-model-config",
        "no-mapping",
        "wrong-tool",
        "unknown-project",
        "no-access",
        "bad-key",
        "no-key",
    ],
)
def test_a_run_that_cannot_start_gets_a_clear_error_and_enqueues_nothing(
    emulator, adapter, settings: Settings, run, expected
):
    request = {
        "plugin_id": demo_data.PLUGIN_ID,
        "project_id": demo_data.PROJECT_ID,
        "user_api_key": demo_data.API_KEY,
        "category_schema": FACE_MAPPING,
        "batches": [demo_data.BATCH_A_ID],
        "config_json": CONFIG_OK,
    }
    session = emulator.start_run(**{**request, **run})
    state = finish(emulator, session, adapter)
    assert state["responses"] == [{"error": True, "session": session}]  # Hub's form for a failed run
    errors = [log["msg"] for log in state["logs"] if log["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith("Run not started: ") and expected in errors[0]
    ledger = Ledger.of(settings, make_clients())
    assert ledger.load_run(run_id_for(demo_data.PLUGIN_ID, session)) is None  # so no job exists


def test_the_api_key_never_reaches_the_logs(emulator, adapter):
    # Its own run, so the scan below covers a run's every step whatever ran before it.
    session = start_demo_run(emulator, batches=[demo_data.BATCH_B_ID])
    assert finish(emulator, session, adapter)["responses"]
    logs = {name: adapter.log_text(name) for name in ("listener", "worker-0", "worker-1")}
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    assert run_id in logs["listener"] and (run_id in logs["worker-0"] or run_id in logs["worker-1"])
    assert not [name for name, text in logs.items() if demo_data.API_KEY in text]


def test_the_listener_reconnects_when_hub_drops_the_socket(emulator, adapter):
    before = emulator.plugin(demo_data.PLUGIN_ID)
    assert emulator.disconnect_plugin(demo_data.PLUGIN_ID) == [before["sid"]]
    after = emulator.wait_for_plugin_live(
        demo_data.PLUGIN_ID, timeout=60, min_beats=before["heartbeatCount"] + 1
    )
    assert after["sid"] != before["sid"]
    assert adapter.listener is not None and adapter.listener.poll() is None  # still the same process

    session = start_demo_run(emulator, batches=[demo_data.BATCH_B_ID])
    state = finish(emulator, session, adapter)
    assert len(state["responses"]) == 1
    assert state["responses"][0]["response"].startswith("Pre-labeled ")


MIXED_PROJECT_ID = "65d4c0de00000000000000e1"
CONSENSUS_PROJECT_ID = "65d4c0de00000000000000e2"
BARE_ID_PROJECT_ID = "65d4c0de00000000000000e3"
CONVERSION_PROJECT_ID = "65d4c0de00000000000000e4"
# Media an image model does not read: a text with known entities (the entities model's, in
# tests/integration/test_text_end_to_end.py) and a sound.
UNREAD_MEDIA = {
    "contact.txt": ("text/plain", demo_data.TEXTS["contact.txt"][0].encode()),
    "sound.wav": ("audio/x-wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)),
}
# The moving-face video twice: once as `.mp4`, once served as `<id>.bin` (its URL names no kind, so
# it is downloaded, its content shows a video, and it is read again as one).
VIDEOS = {
    "clip.mp4": ("video/mp4", moving_face_mp4()),
    "clip-without-extension": ("application/octet-stream", moving_face_mp4()),
}
# A two-page PDF with a face on each page, and a DICOM slice (12 bits, windowed) of a face.
DOCUMENTS = {
    "report.pdf": ("application/pdf", documents.two_page_pdf()),
    "scan.dcm": ("application/dicom", documents.dicom_slice()),
}
OTHER_MEDIA = {**VIDEOS, **DOCUMENTS, **UNREAD_MEDIA}
SIZES = {"clip.mp4": FACE_VIDEO_SIZE, "clip-without-extension": FACE_VIDEO_SIZE, "scan.dcm": (320, 256)}
# At 15 frames a job message, the 40-frame video is read in three parts: frames 0 and 10, 20, 30.
ADAPTER_ENV = {"ANGO_BATCH_VIDEO_FRAMES_PER_JOB": "15"}
MIXED_ASSETS = 3 + len(OTHER_MEDIA) + 1  # the pictures, the other media, the multi-image asset


def seed_mixed_project(emulator: EmulatorControl, project_id: str, **project: Any) -> list[dict[str, Any]]:
    """Three demo images (one face), a video of a moving face (twice: once under a URL that does not
    say it is one), a two-page PDF and a DICOM slice of faces, a multi-image asset of two pages (the
    face picture twice), a text and a sound, in a project whose `type` is left out, as in the docs'
    "Get Project" sample."""
    demo = next(p for p in demo_data.demo_seed()["projects"] if p["_id"] == demo_data.PROJECT_ID)
    face = next(a for a in demo["assets"] if a["externalId"] in demo_data.FACE_EXTERNAL_IDS)
    others = [a for a in demo["assets"] if a["externalId"] not in demo_data.FACE_EXTERNAL_IDS][:2]
    images = [_as_json(a) for a in (face, *others)]
    media = [
        {
            **images[0],
            "_id": f"{n:024x}",
            "externalId": name,
            "contentType": kind,
            "contentBase64": base64.b64encode(body).decode(),
            **({"width": SIZES[name][0], "height": SIZES[name][1]} if name in SIZES else {}),
        }
        for n, (name, (kind, body)) in enumerate(OTHER_MEDIA.items(), start=0xE100)
    ]
    pages = {
        **images[0],
        "_id": f"{0xE1FF:024x}",
        "externalId": "pages",
        "pagesBase64": [images[0]["contentBase64"]] * 2,
    }
    media.append(pages)
    # The demo's tools and classifications, and the texts project's entity tools (for the text model).
    schema = demo["categorySchema"]
    schema = {**schema, "tools": [*schema["tools"], *demo_data.TEXTS_SCHEMA["tools"]]}
    spec = {
        **demo,
        "_id": project_id,
        "type": None,
        "categorySchema": schema,
        "assets": images + media,
        **project,
    }
    emulator.seed(
        {
            "users": [
                {
                    "userId": demo_data.USER_ID,
                    "apiKey": demo_data.API_KEY,
                    "orgId": demo_data.ORG_ID,
                    "projects": [
                        demo_data.PROJECT_ID,
                        EMPTY_PROJECT_ID,
                        MIXED_PROJECT_ID,
                        CONSENSUS_PROJECT_ID,
                        BARE_ID_PROJECT_ID,
                        CONVERSION_PROJECT_ID,
                    ],
                }
            ],
            "projects": [spec],
        }
    )
    return images


def run_on(emulator: EmulatorControl, adapter: AdapterProcesses, project_id: str) -> str:
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=project_id,
        user_api_key=demo_data.API_KEY,
        category_schema=FACE_AND_AREA_MAPPING,
        config_json="{}",
    )
    state = finish(emulator, session, adapter)
    assert len(state["responses"]) == 1, state
    return str(state["responses"][0]["response"])


def file_downloads(emulator: EmulatorControl) -> int:
    return sum(sum(by_status.values()) for rule, by_status in emulator.stats().items() if "/files/" in rule)


def test_a_mixed_project_labels_each_asset_as_its_kind_allows_and_downloads_nothing_it_does_not_read(
    emulator, adapter
):
    seed_mixed_project(emulator, MIXED_PROJECT_ID)
    message = run_on(emulator, adapter, MIXED_PROJECT_ID)
    assert_mixed_run(message)
    stored = {a["externalId"]: a for a in emulator.labels(MIXED_PROJECT_ID)["assets"]}
    for name in UNREAD_MEDIA:  # counted by kind from their URLs, never fetched
        assert stored[name]["importCount"] == 0 and stored[name]["downloads"] == 0, name
    for name in VIDEOS:  # the moving face: one object on each sampled frame (the default stride 10),
        tools = stored[name]["answer"]["tools"]  # read in three job messages, one id across them
        assert [tool["page"] for tool in tools] == [0, 10, 20, 30], name
        assert len({tool["objectId"] for tool in tools}) == 1, name
        assert stored[name]["importCount"] == 1, name
    # The video is downloaded once a part; behind a URL that names no kind, once more first, to
    # read its content (the job's later messages know it is a video).
    assert stored["clip.mp4"]["downloads"] == 3 and stored["clip-without-extension"]["downloads"] == 4
    areas = [tool["pdf"] for tool in stored["report.pdf"]["answer"]["tools"]]
    assert [area["pageNumber"] for area in areas] == [1, 2]  # a face on each page, as a PDF area
    assert all(
        tool["schemaId"] == demo_data.FACE_AREA_SCHEMA_ID for tool in stored["report.pdf"]["answer"]["tools"]
    )
    (face_on_slice,) = stored["scan.dcm"]["answer"]["tools"]  # the slice: a picture, no page
    assert "page" not in face_on_slice and face_on_slice["bounding-box"]["x"] >= 32  # inside the frame's face
    pages = stored["pages"]["answer"]["tools"]
    assert [tool["page"] for tool in pages] == [0, 1] and len({tool["objectId"] for tool in pages}) == 1
    assert stored["pages"]["downloads"] == 2  # each page once
    assert all(stored[name]["downloads"] == 1 for name in DOCUMENTS)


@pytest.mark.parametrize(
    ("project_id", "knobs"),
    [(CONSENSUS_PROJECT_ID, {"consensus_tasks": 3}), (BARE_ID_PROJECT_ID, {"task_asset_form": "id"})],
    ids=["consensus", "asset-as-id"],
)
def test_consensus_tasks_and_tasks_naming_their_asset_by_id_plan_each_asset_once(
    emulator, adapter, project_id: str, knobs: dict[str, Any]
):
    """Two guesses turned the other way: three tasks per asset (a consensus project), and a task's
    `asset` as a bare id (planning falls back to the assets listing)."""
    seed_mixed_project(emulator, project_id)
    emulator.configure(**knobs)
    try:
        message = run_on(emulator, adapter, project_id)
    finally:
        emulator.configure(task_asset_form="object", consensus_tasks=1)
    assert_mixed_run(message)
    assert emulator.project_summary(project_id).duplicate_objects == 0
    imports = {a["externalId"]: a["importCount"] for a in emulator.labels(project_id)["assets"]}
    assert all(imports[name] == 0 for name in UNREAD_MEDIA)
    assert max(imports.values()) == 1 and sum(imports.values()) == labeled_in(message)  # each once


def labeled_in(message: str) -> int:
    return int(message.split()[1])  # "Pre-labeled N of ..."


def assert_mixed_run(message: str) -> None:
    """Every picture, video, PDF, DICOM file and multi-image asset ran (pre-labeled, or nothing
    found on it); the text and the sound were skipped by kind."""
    assert message.startswith("Pre-labeled ") and f" of {MIXED_ASSETS} assets" in message, message
    empty = int(message.split(" assets had nothing to label")[0].rsplit(" ", 1)[1])
    # One picture, both videos, the PDF, the DICOM slice and the multi-image asset show a face.
    assert labeled_in(message) >= 6 and labeled_in(message) + empty == MIXED_ASSETS - 2, message
    assert "2 assets skipped (1 audio, 1 text)" in message and "0 assets failed" in message


def test_a_box_model_mapped_to_a_polygon_tool_imports_polygons_hub_takes(emulator, adapter):
    """The Haar model's boxes, mapped to the demo's Person polygon tool, arrive as four-point
    polygons that pass the emulator's strict checks; the final message counts them converted."""
    seed_mixed_project(emulator, CONVERSION_PROJECT_ID)
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=CONVERSION_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=[{"schemaId": demo_data.PERSON_SCHEMA_ID, "modelClass": "Face"}],
        config_json="{}",
    )
    state = finish(emulator, session, adapter)
    message = state["responses"][0]["response"]
    objects = int(message.split(" with ", 1)[1].split()[0])  # "Pre-labeled N of M assets with K objects"
    assert objects >= 1 and f"{objects} objects converted to their mapped tool's shape" in message, message
    polygons = [
        tool
        for asset in emulator.labels(CONVERSION_PROJECT_ID)["assets"]
        for tool in asset["answer"]["tools"]
        if tool["schemaId"] == demo_data.PERSON_SCHEMA_ID
    ]
    assert len(polygons) == objects and all(len(tool["polygon"]) == 4 for tool in polygons)
