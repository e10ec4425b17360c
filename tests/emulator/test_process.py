"""The CLI and the subprocess runner: readiness line, clean SIGTERM, useful start-up errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from infra.emulator.process import EmulatorStartError, run_emulator, stop_process

pytestmark = pytest.mark.integration


def test_cli_prints_url_and_exits_zero_on_sigterm() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "infra.emulator", "--port", "0", "--seed", "empty", "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("EMULATOR_URL=http://127.0.0.1:")
        url = line.strip().split("=", 1)[1]
        assert requests.get(f"{url}/_emulator/config", timeout=5).json()["latency_ms"] == 1.0
    finally:
        code = stop_process(child)
    assert code == 0


def test_start_failure_reports_the_output_tail() -> None:
    with pytest.raises(EmulatorStartError) as err, run_emulator(seed="empty", import_mode="bogus"):
        pass
    assert "import_mode" in str(err.value)


def test_context_manager_kills_the_server() -> None:
    with run_emulator(seed="empty") as emu:
        url = emu.base_url
        assert emu.health()["status"] == "ok"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_emulator/health", timeout=2)


def test_bool_and_delay_knobs_reach_the_server_as_flags() -> None:
    with run_emulator(seed="empty", import_fault_after_apply=False, import_ack_delay_ms=5) as emu:
        config = emu.config()
    assert (config["import_fault_after_apply"], config["import_ack_delay_ms"]) == (False, 5.0)
