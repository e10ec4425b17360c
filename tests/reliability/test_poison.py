"""Broken assets and poison jobs: corrupt and missing files are reported per asset with their
reason while the rest are labeled; a job that kills its worker every time ends in the dead-letter
queue after maxReceiveCount, is drained into the ledger, and its assets are reported failed. The
run still ends with one response, and `ango-batch redrive` puts the dead job back."""

from __future__ import annotations

import re
import time
from pathlib import Path

import boto3
import pytest

from handler.contract.ledger import Ledger
from infra import demo_data
from infra.stack import StackOutputs
from listener.acceptance import run_id_for
from listener.dead_letters import NOT_PROCESSED
from tests.reliability.conftest import (
    cluster,
    emulator_with,
    hub_labels,
    max_receive_count,
    start_run,
    wait_for_response,
)
from tests.reliability.scenarios import poisoned_project, redrive

pytestmark = pytest.mark.integration
JOB_SIZE = 5


def test_broken_assets_are_reported_and_a_poison_job_is_dead_lettered(
    localstack: str, stack: StackOutputs, ledger: Ledger, tmp_path: Path
) -> None:
    total = 20
    with (
        emulator_with([poisoned_project()]) as emulator,
        cluster(localstack, stack, emulator, tmp_path / "logs", workers=2) as running,
    ):
        with running.supervised():
            started = time.monotonic()
            session = start_run(
                emulator, demo_data.BENCH_PROJECT_ID, seconds_per_batch=0.05, job_size=JOB_SIZE
            )
            state = wait_for_response(emulator, session, running, timeout=240)
            took = time.monotonic() - started
        labels = hub_labels(emulator, demo_data.BENCH_PROJECT_ID)
        restarts = running.restarts

    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    results = {r.job_id: r for r in ledger.list_job_results(run_id)}
    dead = [r for r in results.values() if r.dead_lettered]
    reasons = {f.external_id: f.reason for r in results.values() for f in r.failures}
    print(
        f"\n[poison] {total} assets in {took:.1f} s; worker restarts {restarts}; "
        f"dead jobs {[r.job_id for r in dead]}; reasons {reasons}"
    )

    assert [r.job_id for r in dead] == ["000003"] and dead[0].counts.assets_failed == JOB_SIZE
    assert restarts == max_receive_count(stack)  # the poison killed one worker per attempt
    assert reasons["corrupt.jpg"].startswith("not a readable image")
    assert reasons["missing.jpg"] == "download failed: HTTP 404"
    assert reasons["poison.png"] == NOT_PROCESSED
    assert len(reasons) == 2 + JOB_SIZE
    labeled = sum(1 for objects in labels.values() if objects)
    assert labeled == total - len(reasons) == 13
    assert len(state["responses"]) == 1, state["responses"]
    message = state["responses"][0]["response"]
    assert re.search(rf"Pre-labeled 13 of {total} assets .*; {len(reasons)} assets failed", message), message
    logs = [log["msg"] for log in state["logs"]]
    assert "Asset missing.jpg: download failed: HTTP 404" in logs
    assert f"Asset poison.png: {NOT_PROCESSED}" in logs

    # Redrive: the parked job goes back to the job queue (where it would kill a worker again).
    printed = redrive(stack)
    assert "redrove 0 jobs from the dead-letter queue and 1 parked in the ledger" in printed
    assert '"job_id":"000003"' in _receive_one(stack.job_queue_url)
    assert not ledger.parked_dead_jobs(run_id)


def _receive_one(queue_url: str) -> str:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages", [])
    assert len(messages) == 1
    return str(messages[0]["Body"])
