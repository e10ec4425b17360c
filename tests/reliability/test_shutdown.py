"""SIGTERM during a job (a deploy, a Spot reclaim, a scale-in): the worker stops taking jobs,
gives the running one its grace, then releases it and exits in time; the released job is taken by
another worker at once, not after its visibility timeout."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from infra import demo_data
from infra.stack import StackOutputs
from tests.reliability.conftest import (
    cluster,
    emulator_with,
    hub_labels,
    start_run,
    wait_for_response,
)

pytestmark = pytest.mark.integration
GRACE = 2.0
LEASE = 20  # the worker's default: a job left hidden by a dying worker would come back after it


def test_sigterm_mid_job_exits_within_grace_and_releases_the_job(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    assets = 16
    with (
        emulator_with([demo_data.bench_project(assets)]) as emulator,
        cluster(localstack, stack, emulator, tmp_path / "logs", workers=1, grace=GRACE) as running,
    ):
        # One job of 16 assets in 2 batches of 8 at 3 s a batch: ~6 s, longer than the grace.
        session = start_run(emulator, demo_data.BENCH_PROJECT_ID, seconds_per_batch=3.0, job_size=16)
        _wait_for_line(running.processes, "worker-0", "inferring 16 assets", timeout=60)
        time.sleep(0.5)
        worker = running.processes.workers[0]
        signalled = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=GRACE + 10)
        exited_after = time.monotonic() - signalled
        # A replacement worker, as the platform would start; the job must not wait for the lease.
        running.processes.start_worker(1, GRACE)
        state = wait_for_response(emulator, session, running, timeout=60)
        finished_after = time.monotonic() - signalled
        labels = hub_labels(emulator, demo_data.BENCH_PROJECT_ID)
        first_log = running.processes.log_text("worker-0")

    print(
        f"\n[sigterm] exit {exited_after:.2f} s after SIGTERM (grace {GRACE} s); "
        f"run done {finished_after:.1f} s after"
    )
    assert worker.returncode == 0
    assert exited_after < GRACE
    assert "1 complete · 0 failed · 1 released" in first_log  # the plan job, then the released one
    assert finished_after < LEASE
    assert len(state["responses"]) == 1
    assert re.match(
        rf"Pre-labeled {assets} of {assets} assets with {assets} objects", state["responses"][0]["response"]
    )
    assert all(len(objects) == 1 for objects in labels.values())


def _wait_for_line(processes, name: str, text: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in processes.log_text(name):
            return
        time.sleep(0.05)
    pytest.fail(f"{name} never logged {text!r}:\n{processes.log_text(name)[-3000:]}")
