"""Import faults that may have been applied, the ack delay, and the project summary over HTTP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from infra import demo_data as d
from infra.emulator.control import EmulatorControl, EmulatorError

pytestmark = pytest.mark.integration

BOX = {"x": 10, "y": 10, "width": 20, "height": 20}
IMPORT = "POST /v2/import/labels"


def _items(*external_ids: str) -> list[dict[str, Any]]:
    return [
        {
            "externalId": e,
            "objects": [{"schemaId": d.FACE_SCHEMA_ID, "objectId": f"{e}-1", "bounding-box": BOX}],
        }
        for e in external_ids
    ]


def _import(emu: EmulatorControl, items: list[dict[str, Any]], key: str = d.API_KEY) -> requests.Response:
    body = {"project": d.PROJECT_ID, "jsonContent": items}
    return requests.post(f"{emu.base_url}/v2/import/labels", headers={"apikey": key}, json=body, timeout=10)


def test_injected_5xx_comes_after_the_import_was_applied(emu: EmulatorControl) -> None:
    emu.configure(import_5xx_rate=1.0)
    for _ in range(2):  # the client sees a failure and blindly retries
        response = _import(emu, _items("camera.jpg", "coffee.jpg"))
        assert response.status_code in (500, 502, 503)
        assert response.json() == {"status": "error", "message": "Injected server error"}
    summary = emu.project_summary(d.PROJECT_ID)
    assert (summary.imports, summary.prelabeled_assets, summary.objects, summary.duplicate_objects) == (
        2,
        2,
        4,
        2,
    )
    assert sum(emu.stats()[IMPORT].values()) == 2 and "200" not in emu.stats()[IMPORT]


def test_refused_imports_still_answer_the_injected_5xx_and_apply_nothing(emu: EmulatorControl) -> None:
    emu.configure(import_5xx_rate=1.0)
    unknown_asset = [{"externalId": "nope.jpg", "objects": _items("x")[0]["objects"]}]
    for response in (_import(emu, unknown_asset), _import(emu, _items("camera.jpg"), key="wrong")):
        assert response.status_code in (500, 502, 503)
    assert emu.project_summary(d.PROJECT_ID).imports == 0


def test_fault_before_apply_when_the_knob_is_off_and_429s_never_apply(emu: EmulatorControl) -> None:
    emu.configure(import_5xx_rate=1.0, import_fault_after_apply=False)
    assert _import(emu, _items("camera.jpg")).status_code in (500, 502, 503)
    emu.configure(import_5xx_rate=0.0, import_429_rate=1.0, import_fault_after_apply=True)
    response = _import(emu, _items("camera.jpg"))
    assert response.status_code == 429 and "Retry-After" in response.headers
    summary = emu.project_summary(d.PROJECT_ID)
    assert (summary.imports, summary.objects, summary.first_import_at) == (0, 0, None)


def test_mixed_faults_replay_from_the_seed_and_every_non_429_is_applied(emu: EmulatorControl) -> None:
    def statuses() -> list[int]:
        return [_import(emu, _items("camera.jpg")).status_code for _ in range(12)]

    emu.configure(import_5xx_rate=0.4, import_429_rate=0.3, fault_seed=5)
    first = statuses()
    emu.configure(fault_seed=5)
    assert statuses() == first
    assert {200, 429} <= set(first) and set(first) - {200, 429}
    applied = 2 * sum(status != 429 for status in first)
    summary = emu.project_summary(d.PROJECT_ID)
    assert summary.imports == summary.objects == applied
    assert summary.duplicate_objects == applied - 1


def test_ack_delay_opens_a_window_between_apply_and_answer(emu: EmulatorControl) -> None:
    emu.configure(import_ack_delay_ms=400)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_import, emu, _items("camera.jpg"))
        summary = emu.wait_for_imports(d.PROJECT_ID, timeout=5)
        assert not pending.done(), "the import answered before the ack delay ran out"
        assert summary.prelabeled_assets == 1 and summary.last_import_at is not None
        assert pending.result().status_code == 200
    assert time.monotonic() - started >= 0.4
    with pytest.raises(EmulatorError) as refused:
        emu.configure(import_ack_delay_ms=-1)
    assert refused.value.status == 400


def test_summary_times_and_bool_knobs_over_json(emu: EmulatorControl) -> None:
    before = time.time()
    _import(emu, _items("camera.jpg"))
    _import(emu, _items("coffee.jpg"))
    summary = emu.project_summary(d.PROJECT_ID)
    assert summary.first_import_at is not None and summary.last_import_at is not None
    assert before <= summary.first_import_at <= summary.last_import_at <= time.time()
    assert (summary.assets, summary.duplicate_objects) == (len(d.demo_images()), 0)
    assert emu.configure(import_fault_after_apply=False)["import_fault_after_apply"] is False
    for bad in ("false", 0):
        with pytest.raises(EmulatorError):
            emu.configure(import_fault_after_apply=bad)
    with pytest.raises(EmulatorError) as missing:
        emu.project_summary("0" * 24)
    assert missing.value.status == 404
