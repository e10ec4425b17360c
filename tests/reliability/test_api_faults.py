"""Ango Hub's API throttles and fails: 20% 5xx and 10% 429 on every REST call and every import, and
each injected 5xx on an import is applied before it is answered (the strict choice: a retry that
does not look first would duplicate). The run must still label every asset once, with bounded
attempts."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from handler.contract.retry import RetryPolicy
from infra import demo_data
from infra.stack import StackOutputs
from tests.reliability.conftest import cluster, emulator_with, hub_labels, start_run, wait_for_response

pytestmark = pytest.mark.integration
ASSETS = 200
JOB_SIZE = 10
FAULTS: dict[str, Any] = {
    "rest_5xx_rate": 0.2,
    "rest_429_rate": 0.1,
    "import_5xx_rate": 0.2,
    "import_429_rate": 0.1,
    "retry_after_s": 1,
    "fault_seed": 7,
    "import_fault_after_apply": True,
}


def test_run_completes_under_api_faults_without_duplicates(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    project = demo_data.bench_project(ASSETS)
    with (
        emulator_with([project], **FAULTS) as emulator,
        cluster(localstack, stack, emulator, tmp_path / "logs", workers=2, concurrency=2) as running,
    ):
        started = time.monotonic()
        session = start_run(emulator, demo_data.BENCH_PROJECT_ID, seconds_per_batch=0.05, job_size=JOB_SIZE)
        state = wait_for_response(emulator, session, running, timeout=240)
        took = time.monotonic() - started
        labels = hub_labels(emulator, demo_data.BENCH_PROJECT_ID)
        summary = emulator.project_summary(demo_data.BENCH_PROJECT_ID)
        stats = emulator.stats()

    imports = stats.get("POST /v2/import/labels", {})
    import_calls = sum(imports.values())
    applied_but_failed = summary.imports - imports.get("200", 0)
    print(
        f"\n[api faults] {ASSETS} assets in {took:.1f} s; import calls by status {imports}; "
        f"imports applied {summary.imports} (of which answered 5xx: {applied_but_failed}); "
        f"objects {summary.objects}, duplicates {summary.duplicate_objects}"
    )
    for endpoint, by_status in sorted(stats.items()):
        print(f"  {endpoint}: {by_status}")

    assert len(state["responses"]) == 1, state["responses"]
    message = state["responses"][0]["response"]
    assert re.match(rf"Pre-labeled {ASSETS} of {ASSETS} assets with {ASSETS} objects in ", message), message
    assert "0 assets failed" in message
    assert all(len(objects) == 1 for objects in labels.values()), "every asset exactly one box"
    assert summary.duplicate_objects == 0 and summary.objects == ASSETS
    # The faults really hit: 429s and 5xx everywhere, and 5xx on imports Hub had applied.
    statuses = Counter(status for by_status in stats.values() for status in by_status)
    assert statuses["429"] > 0 and applied_but_failed > 0
    # Attempts stay bounded: at most the policy's attempts per import chunk.
    jobs = ASSETS // JOB_SIZE
    assert import_calls <= jobs * RetryPolicy().attempts
