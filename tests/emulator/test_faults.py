"""Injected 429s, 5xx and latency: per endpoint group, seeded, and counted in the stats."""

from __future__ import annotations

import time

import pytest
import requests

from infra import demo_data as d
from infra.emulator.control import EmulatorControl, EmulatorError

pytestmark = pytest.mark.integration


def _assets(emu: EmulatorControl) -> requests.Response:
    url = f"{emu.base_url}/v2/project/{d.PROJECT_ID}/assets"
    return requests.get(url, headers={"apikey": d.API_KEY}, timeout=10)


def _project(emu: EmulatorControl) -> requests.Response:
    url = f"{emu.base_url}/v2/project/{d.PROJECT_ID}"
    return requests.get(url, headers={"apikey": d.API_KEY}, timeout=10)


def test_429_carries_retry_after_and_only_hits_its_group(emu: EmulatorControl) -> None:
    emu.configure(rest_429_rate=1.0, retry_after_s=7)
    response = _assets(emu)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json() == {"status": "fail", "message": "Rate limit exceeded"}
    file_url = f"{emu.base_url}/files/{d.PROJECT_ID}/missing.jpg"
    assert requests.get(file_url, timeout=10).status_code == 404  # the files group is untouched
    assert emu.stats()["GET /v2/project/<project_id>/assets"] == {"429": 1}


def test_5xx_injection_is_reproducible_from_the_seed(emu: EmulatorControl) -> None:
    def statuses() -> list[int]:
        return [_project(emu).status_code for _ in range(20)]

    emu.configure(rest_5xx_rate=0.3, rest_429_rate=0.2, fault_seed=11)
    first = statuses()
    emu.configure(fault_seed=11)
    assert statuses() == first
    assert {200, 429} <= set(first) and set(first) - {200, 429} <= {500, 502, 503}
    assert len(set(first) - {200, 429}) >= 1
    assert sum(emu.stats()["GET /v2/project/<project_id>"].values()) == 40


def test_latency_and_bad_knobs(emu: EmulatorControl) -> None:
    emu.configure(latency_ms=150)
    started = time.monotonic()
    assert _project(emu).status_code == 200
    assert time.monotonic() - started >= 0.15
    for bad in ({"import_mode": "merge"}, {"rest_5xx_rate": 0.8, "rest_429_rate": 0.5}, {"nope": 1}):
        with pytest.raises(EmulatorError) as refused:
            emu.configure(**bad)
        assert refused.value.status == 400
    assert emu.config()["latency_ms"] == 150
