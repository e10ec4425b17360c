"""The per-API-key rate limit over real HTTP: which calls it counts, its 429s, and its stats."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from imerit_ango.sdk import SDK

from infra import demo_data as d
from infra.emulator.control import EmulatorControl
from infra.emulator.rate_limit import key_fingerprint

pytestmark = pytest.mark.integration

BOX = {"x": 10, "y": 10, "width": 20, "height": 20}
PROJECT = f"/v2/project/{d.PROJECT_ID}"


def _get(emu: EmulatorControl, path: str = PROJECT, key: str | None = d.API_KEY) -> requests.Response:
    headers = {"apikey": key} if key else {}
    return requests.get(f"{emu.base_url}{path}", headers=headers, timeout=10)


def _limit(emu: EmulatorControl, requests_: int, window_s: float = 60.0, **extra: Any) -> None:
    emu.configure(rate_limit=True, rate_limit_requests=requests_, rate_limit_window_s=window_s, **extra)


def test_over_the_limit_is_429_without_retry_after_and_counted_per_key(emu: EmulatorControl) -> None:
    _limit(emu, 3)
    assert [_get(emu).status_code for _ in range(5)] == [200, 200, 200, 429, 429]
    refused = _get(emu)
    assert refused.json() == {"status": "fail", "message": "Rate limit exceeded"}
    assert "Retry-After" not in refused.headers
    assert _get(emu, key=d.OTHER_API_KEY).status_code == 404  # another key has its own allowance
    assert emu.rate_limit_stats() == {
        key_fingerprint(d.API_KEY): {"requests": 6, "throttled": 3},
        key_fingerprint(d.OTHER_API_KEY): {"requests": 1, "throttled": 0},
    }
    assert emu.throttled_total() == 3
    assert emu.stats()["GET /v2/project/<project_id>"] == {"200": 3, "404": 1, "429": 3}
    assert d.API_KEY not in str(emu.rate_limit_stats())
    emu.reset_stats()
    assert (emu.rate_limit_stats(), emu.throttled_total(), _get(emu).status_code) == ({}, 0, 200)


def test_retry_after_when_asked_for(emu: EmulatorControl) -> None:
    _limit(emu, 1, window_s=30.0, rate_limit_retry_after=True)
    assert _get(emu).status_code == 200
    refused = _get(emu)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"  # the refused call counts


def test_the_window_slides(emu: EmulatorControl) -> None:
    _limit(emu, 2, window_s=1.0)
    assert [_get(emu).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.1)
    assert _get(emu).status_code == 200


def test_every_v2_call_counts_but_files_and_control_do_not(emu: EmulatorControl) -> None:
    sdk = SDK(d.API_KEY, emu.base_url)
    url = sdk.get_assets(d.PROJECT_ID, limit=1)["data"]["assets"][0]["data"]
    _limit(emu, 2)  # the listing above already counts: one call left
    log = requests.post(f"{emu.base_url}/v2/pluginLog", headers={"apikey": d.API_KEY}, json={}, timeout=10)
    assert log.status_code == 200
    item = {"data": url, "objects": [{"schemaId": d.FACE_SCHEMA_ID, "bounding-box": BOX}]}
    body = {"project": d.PROJECT_ID, "jsonContent": [item]}
    imported = requests.post(
        f"{emu.base_url}/v2/import/labels", headers={"apikey": d.API_KEY}, json=body, timeout=10
    )
    assert imported.status_code == 429
    assert emu.project_summary(d.PROJECT_ID).imports == 0  # refused up front: nothing applied
    tasks = _get(emu, f"{PROJECT}/tasks")
    signed = _get(emu, f"/v2/getSignedUrl?name={url}&project={d.PROJECT_ID}&type=assets")
    assert (tasks.status_code, signed.status_code) == (429, 429)
    assert all(requests.get(url, timeout=10).status_code == 200 for _ in range(3))
    assert emu.plugin(d.PLUGIN_ID)["live"] is False  # the control API is not limited
    assert emu.rate_limit_stats()[key_fingerprint(d.API_KEY)] == {"requests": 5, "throttled": 3}


def test_requests_are_counted_while_the_limit_is_off(emu: EmulatorControl) -> None:
    assert [_get(emu, key=k).status_code for k in (d.API_KEY, d.API_KEY, None)] == [200, 200, 401]
    assert emu.rate_limit_stats() == {
        key_fingerprint(d.API_KEY): {"requests": 2, "throttled": 0},
        "<none>": {"requests": 1, "throttled": 0},
    }
    _limit(emu, 2)
    assert _get(emu).status_code == 429  # the recent traffic counts as soon as it is on
