"""The acceptance test: the real SDK's BatchModelPlugin, over real sockets, against the emulator."""

from __future__ import annotations

import json
import math
import time

import pytest

from infra import demo_data as d
from infra.emulator.control import EmulatorControl, EmulatorError

from .conftest import sample_plugin
from .sample_plugin import DONE_MESSAGE, PAGE_SIZE

pytestmark = pytest.mark.integration

LOG_KEYS = {"level", "organization", "pluginId", "runBy", "session", "msg"}


@pytest.fixture(scope="module")
def live_plugin(emulator_session: EmulatorControl) -> object:
    with sample_plugin(emulator_session.base_url) as child:
        emulator_session.wait_for_plugin_live(d.PLUGIN_ID, timeout=30)
        yield child


def _run(emu: EmulatorControl, **overrides: object) -> str:
    args: dict[str, object] = {
        "category_schema": d.CATEGORY_MAPPING,
        "batches": [d.BATCH_A_ID],
        "config_json": d.DEFAULT_CONFIG_JSON,
    }
    args.update(overrides)
    return emu.start_run(d.PLUGIN_ID, d.PROJECT_ID, d.API_KEY, **args)  # type: ignore[arg-type]


def test_sample_plugin_run_labels_exactly_the_selected_batch(
    emu: EmulatorControl, live_plugin: object
) -> None:
    assert emu.plugin(d.PLUGIN_ID)["heartbeatCount"] >= 1
    session = _run(emu)
    done = emu.wait_for_response(session, timeout=30)

    assert done["status"] == "completed"
    assert done["responses"] == [{"response": DONE_MESSAGE, "session": session}]
    assert done["payload"]["apiKey"] != d.API_KEY
    for entry in done["logs"]:
        assert set(entry) >= LOG_KEYS
        assert (entry["organization"], entry["pluginId"], entry["runBy"], entry["session"]) == (
            d.ORG_ID,
            d.PLUGIN_ID,
            d.USER_ID,
            session,
        )
    assert done["logs"][0] == {**done["logs"][0], "stage": "start", "msg": "Plugin session is started!"}
    assert done["logs"][-1]["msg"] == "Plugin session is ended!"

    box = json.loads(d.DEFAULT_CONFIG_JSON)["dummy-bounding-box"]
    in_batch = 0
    for asset in emu.labels(d.PROJECT_ID)["assets"]:
        tools = asset["answer"]["tools"]
        if d.BATCH_A_ID in asset["batches"]:
            in_batch += 1
            assert [(t["schemaId"], t["bounding-box"]) for t in tools] == [(d.FACE_SCHEMA_ID, box)]
            assert tools[0]["metadata"]["createdBy"] == "import" and asset["isPreLabeled"]
        else:
            assert tools == [] and not asset["isPreLabeled"], asset["externalId"]
    assert in_batch >= 36
    pages = emu.stats()["GET /v2/project/<project_id>/assets"]
    assert pages == {"200": math.ceil(in_batch / PAGE_SIZE)}


def test_callback_failure_is_one_error_response(emu: EmulatorControl, live_plugin: object) -> None:
    session = _run(emu, config_json=json.dumps({"fail": True}))
    done = emu.wait_for_response(session, timeout=30)
    assert done["status"] == "failed"
    assert done["responses"] == [{"error": True, "session": session}]
    assert any(e["level"] == "ERROR" and "asked to fail" in e["msg"] for e in done["logs"])


def test_unmapped_classes_get_the_samples_message(emu: EmulatorControl, live_plugin: object) -> None:
    session = _run(emu, category_schema=None)
    done = emu.wait_for_response(session, timeout=30)
    assert done["responses"] == [{"response": "Please complete class mapping!", "session": session}]
    assert done["payload"]["categorySchema"] is None


def test_server_disconnect_then_sdk_reconnects_and_beats(emu: EmulatorControl, live_plugin: object) -> None:
    before = emu.plugin(d.PLUGIN_ID)
    assert emu.disconnect_plugin(d.PLUGIN_ID) == [before["sid"]]
    after = emu.wait_for_plugin_live(d.PLUGIN_ID, timeout=15, min_beats=before["heartbeatCount"] + 1)
    assert after["sid"] != before["sid"]
    session = _run(emu, category_schema=None)
    assert emu.wait_for_response(session, timeout=30)["status"] == "completed"


def test_wrong_secret_never_goes_live(emu: EmulatorControl) -> None:
    emu.seed({"plugins": [{"id": "auth-plugin", "secret": "the-right-secret"}]})
    with sample_plugin(emu.base_url, plugin_id="auth-plugin", secret="a-wrong-secret"):
        deadline = time.monotonic() + 30
        while emu.plugin("auth-plugin")["rejectedHeartbeats"] < 1:
            assert time.monotonic() < deadline, "the plugin never sent a heartbeat"
            time.sleep(0.05)
        assert emu.plugin("auth-plugin")["live"] is False
        with pytest.raises(EmulatorError) as refused:
            emu.start_run("auth-plugin", d.PROJECT_ID, d.API_KEY, d.CATEGORY_MAPPING)
    assert refused.value.status == 409
    assert refused.value.body == {"status": "fail", "message": "plugin is not running"}
