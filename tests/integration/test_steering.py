"""Watching and steering runs end to end: LocalStack, the Ango Hub emulator, a listener and two
workers running a model that scores its boxes (tests/scored_model.py), and the operator's
commands as a user runs them (`python -m listener.cli ...`). One stack and one emulator for the
module; each scenario has its own project, so runs do not meet."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handler.contract.aws import make_clients
from handler.contract.ledger import Ledger
from handler.contract.model import load_model_spec
from handler.contract.run_config import default_config_json
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.stack import StackOutputs, temporary_stack
from listener.acceptance import run_id_for
from tests.reliability.conftest import Cluster, cluster, emulator_with, hub_labels, wait_for_response

pytestmark = pytest.mark.integration
MODEL = "tests.scored_model"
SECOND_USER_KEY = "second-user-key"  # another user of the same projects
CANCEL, RETRY, TRIAL, SCORE, CLICK = (
    f"65d4c0de0000000000000{n}" for n in ("c01", "c02", "c03", "c04", "c05")
)
PROJECTS = {CANCEL: 120, RETRY: 20, TRIAL: 30, SCORE: 10, CLICK: 120}


@pytest.fixture(scope="module")
def stack(localstack: str) -> Iterator[StackOutputs]:
    with temporary_stack("ango-steer", {"MaxReceiveCount": "3"}) as outputs:
        yield outputs


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorControl]:
    projects = [demo_data.bench_project(n, project_id) for project_id, n in PROJECTS.items()]
    with emulator_with(projects, api_keys=(SECOND_USER_KEY,)) as control:
        yield control


@pytest.fixture(scope="module")
def running(
    localstack: str, stack: StackOutputs, emulator: EmulatorControl, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    env = {"ANGO_BATCH_MODEL": MODEL}
    with cluster(localstack, stack, emulator, tmp_path_factory.mktemp("logs"), workers=2, env=env) as started:
        yield started


@pytest.fixture(scope="module")
def ledger(stack: StackOutputs) -> Ledger:
    clients = make_clients()
    return Ledger(clients.s3, clients.kms, stack.ledger_bucket, stack.kms_key_arn)


def _config(**config: Any) -> str:
    settings = json.loads(default_config_json(load_model_spec(MODEL)))
    settings.update({"job_size": 10, "batch_size": 2, "model": {"seconds_per_batch": 0.05}, **config})
    return json.dumps(settings)


def click(emulator: EmulatorControl, project_id: str, api_key: str = demo_data.API_KEY, **config: Any) -> str:
    """A click of Run in Hub, with the Default Config changed by `config`; the session."""
    return emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=project_id,
        user_api_key=api_key,
        category_schema=[{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Object"}],
        batches=[],
        config_json=_config(**config),
    )


def _payload(project_id: str, **config: Any) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "categorySchema": [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Object"}],
        "orgId": demo_data.ORG_ID,
        "runBy": "someone",
        "batches": [],
        "configJSON": _config(**config),
    }


def cli(running: Cluster, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "listener.cli", *args],
        env=running.processes.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_until(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def objects_per_asset(emulator: EmulatorControl, project_id: str) -> list[int]:
    return [len(tools) for tools in hub_labels(emulator, project_id).values()]


def test_cancel_from_the_cli_mid_run(running: Cluster, emulator: EmulatorControl, ledger: Ledger) -> None:
    session = click(emulator, CANCEL, model={"seconds_per_batch": 0.3})
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    emulator.wait_for_imports(CANCEL, count=1, timeout=60)
    cancelled_at = time.monotonic()
    printed = cli(running, "cancel", run_id)
    state = wait_for_response(emulator, session, running, timeout=60)
    took = time.monotonic() - cancelled_at
    print(f"\n[steer] cancel answered {took:.1f} s after `ango-batch cancel` started")
    message = state["responses"][0]["response"]
    labeled = sum(1 for n in objects_per_asset(emulator, CANCEL) if n)
    print(f"\n[steer] cancel: {printed.strip()}\n[steer] answered: {message}")
    assert printed.startswith(f"run {run_id} cancelled")
    assert (
        message.startswith("Cancelled after ")
        and f"pre-labeled {labeled} with {3 * labeled} objects" in message
    )
    assert 0 < labeled < PROJECTS[CANCEL] and len(state["responses"]) == 1
    status = json.loads(cli(running, "status", run_id, "--json"))
    assert status["state"] == "cancelled" and status["labeled"] == labeled
    assert (
        status["labeled"] + status["not_processed"] + status["failed"] + status["empty"] == PROJECTS[CANCEL]
    )
    rows = [json.loads(line) for line in cli(running, "runs", "--json", "--state", "cancelled").splitlines()]
    assert [row["run_id"] for row in rows] == [run_id]


def test_retry_after_the_asset_host_recovers(
    running: Cluster, emulator: EmulatorControl, ledger: Ledger
) -> None:
    lost = ["bench-000002.jpg", "bench-000007.jpg", "bench-000011.jpg"]
    emulator.set_files_present(RETRY, False, lost)
    session = click(emulator, RETRY)
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    first = wait_for_response(emulator, session, running, timeout=60)["responses"][0]["response"]
    assert first.startswith("Pre-labeled 17 of 20 assets") and "3 assets failed" in first
    status = json.loads(cli(running, "status", run_id, "--json"))
    assert sorted(f["external_id"] for f in status["failures"]) == lost
    emulator.set_files_present(RETRY, True, lost[:2])  # the host is back, but for one file
    printed = cli(running, "retry", run_id)
    assert printed.strip() == f"retry 1 of run {run_id}: 3 assets queued again in 1 jobs"
    final = wait_until("retry 1", lambda: _final_after(ledger, run_id, 1))
    assert final.startswith("After retry 1: Pre-labeled 19 of 20 assets") and "1 assets failed" in final
    emulator.set_files_present(RETRY, True, lost[2:])
    answer = wait_for_response(emulator, click(emulator, RETRY, action="retry_failed"), running, timeout=30)
    assert answer["responses"][0]["response"].startswith(f"Retry: retry 2 of run {run_id}: 1 assets queued")
    final = wait_until("retry 2", lambda: _final_after(ledger, run_id, 2))
    assert final.startswith("After retry 2: Pre-labeled 20 of 20 assets") and "0 assets failed" in final
    assert objects_per_asset(emulator, RETRY) == [3] * 20  # each asset labeled once, none twice
    logs = [log["msg"] for log in emulator.session(session)["logs"]]
    assert "Retry 1: 3 failed or unprocessed assets queued again in 1 jobs." in logs and final in logs
    assert len(emulator.session(session)["responses"]) == 1


def _final_after(ledger: Ledger, run_id: str, round_: int) -> str | None:
    final = ledger.load_final(run_id)
    return final.message if final is not None and final.retry_round >= round_ else None


def test_a_trial_of_5_and_its_estimate(running: Cluster, emulator: EmulatorControl) -> None:
    session = click(emulator, TRIAL, sample=5)
    state = wait_for_response(emulator, session, running, timeout=60)
    assert state["responses"][0]["response"].startswith("Pre-labeled 5 of 5 assets with 15 objects")
    assert sorted(objects_per_asset(emulator, TRIAL), reverse=True) == [3] * 5 + [0] * 25
    estimate = [log["msg"] for log in state["logs"] if log["msg"].startswith("5 assets")]
    print(f"\n[steer] trial estimate: {estimate}")
    assert len(estimate) == 1 and (
        "at the current rate" in estimate[0] or "no earlier runs to estimate from" in estimate[0]
    )


def test_a_score_threshold_and_the_report(
    running: Cluster, emulator: EmulatorControl, ledger: Ledger, tmp_path: Path
) -> None:
    session = click(emulator, SCORE, min_score=0.4, job_size=4)  # 3 jobs: 4 samples for the report
    message = wait_for_response(emulator, session, running, timeout=60)["responses"][0]["response"]
    assert message.startswith("Pre-labeled 10 of 10 assets with 20 objects") and message.endswith(
        "; dropped 10 below min_score."
    )
    assert objects_per_asset(emulator, SCORE) == [2] * 10
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    page = tmp_path / "report.html"
    printed = cli(running, "report", run_id, "--html", str(page))
    html = page.read_text()
    print(f"\n[steer] report: {printed.strip()} ({len(html)} bytes)")
    assert html == ledger.load_report(run_id) and html.count('src="data:image/jpeg;base64,') == 4
    assert ">20</text>" in html  # the class bar: 20 objects of "Object"


def test_cancel_and_retry_clicks_in_hub(running: Cluster, emulator: EmulatorControl) -> None:
    session = click(emulator, CLICK, model={"seconds_per_batch": 0.5})  # long enough to click meanwhile
    emulator.wait_for_imports(CLICK, count=1, timeout=60)
    # Hub lets only the project's users click; a payload with another key (forged, or a user who
    # lost access since) is refused, checked with that key, and nothing is cancelled.
    forged = {**_payload(CLICK, action="cancel"), "apiKey": demo_data.OTHER_API_KEY, "session": "forged-1"}
    emulator.start_run(plugin_id=demo_data.PLUGIN_ID, project_id=CLICK, user_api_key="", raw_payload=forged)
    refused = wait_for_response(emulator, "forged-1", running, 30)
    assert refused["responses"][0].get("error") is True
    assert any("Run not started: Could not open project" in log["msg"] for log in refused["logs"])
    control = wait_for_response(
        emulator, click(emulator, CLICK, SECOND_USER_KEY, action="cancel"), running, 30
    )
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    assert control["responses"][0]["response"].startswith(
        f"Cancelled 1 runs on this project: {run_id} started by"
    )
    answered = wait_for_response(emulator, session, running, timeout=60)
    assert answered["responses"][0]["response"].startswith("Cancelled after ")
    retried = wait_for_response(emulator, click(emulator, CLICK, action="retry_failed"), running, 30)
    assert retried["responses"][0]["response"].startswith(f"Retry: retry 1 of run {run_id}: ")
    wait_until(
        "every asset labeled", lambda: objects_per_asset(emulator, CLICK) == [3] * PROJECTS[CLICK], 120
    )
