"""The listener killed with SIGKILL mid-run, twice, and started again each time: it recovers the
open run from the ledger (progress from job results, the rest from queued status events) and the
user gets exactly one final response with the right counts."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.stack import StackOutputs
from tests.reliability.conftest import cluster, emulator_with, hub_labels, start_run, wait_for_response

pytestmark = pytest.mark.integration
ASSETS = 200


def test_listener_killed_mid_run_answers_exactly_once(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    with (
        emulator_with([demo_data.bench_project(ASSETS)]) as emulator,
        cluster(localstack, stack, emulator, tmp_path / "logs", workers=2, concurrency=2) as running,
    ):
        started = time.monotonic()
        session = start_run(emulator, demo_data.BENCH_PROJECT_ID, seconds_per_batch=0.2, job_size=10)
        kills = []
        for threshold in (40, 150):
            _wait_for_prelabeled(emulator, threshold)
            assert running.processes.listener is not None
            running.processes.listener.kill()
            running.processes.listener.wait(timeout=10)
            kills.append(emulator.project_summary(demo_data.BENCH_PROJECT_ID).prelabeled_assets)
            time.sleep(1.0)  # status events pile up while nobody listens
            running.processes.start_listener()
        state = wait_for_response(emulator, session, running, timeout=180)
        took = time.monotonic() - started
        time.sleep(3.0)  # any second answer would arrive now
        responses = emulator.session(session)["responses"]
        labels = hub_labels(emulator, demo_data.BENCH_PROJECT_ID)

    print(f"\n[listener kill] killed at {kills} of {ASSETS} assets pre-labeled; run answered in {took:.1f} s")
    assert len(responses) == 1, responses
    message = state["responses"][0]["response"]
    assert re.match(rf"Pre-labeled {ASSETS} of {ASSETS} assets with {ASSETS} objects in ", message), message
    assert "0 assets failed" in message
    assert all(len(objects) == 1 for objects in labels.values())


def _wait_for_prelabeled(emulator: EmulatorControl, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while emulator.project_summary(demo_data.BENCH_PROJECT_ID).prelabeled_assets < count:
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {count} assets pre-labeled after {timeout} s")
        time.sleep(0.1)
