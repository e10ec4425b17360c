"""A real run through the Lambda entry (LocalStack and the emulator; Lambda itself cannot run here):
every `handler.*` line it logs is JSON with the run's and its job's ids, and its stdout carries
the EMF metrics the template's dashboard reads, with the run ledger's counts."""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

import handler.lambda_entry
from handler.contract.aws import make_clients
from handler.contract.settings import Settings
from handler.deps import build_deps
from infra import demo_data
from infra.stack import StackOutputs
from listener.acceptance import RunAcceptor
from tests.integration.test_lambda_entry import FakeLambdaContext, receive_all, sqs_event
from tests.reliability.conftest import emulator_with

pytestmark = pytest.mark.integration


@pytest.fixture
def entry_logs() -> Iterator[tuple[Any, io.StringIO]]:
    """lambda_entry as a fresh container loads it, with what its root handler writes kept."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    module = importlib.reload(handler.lambda_entry)
    logs = io.StringIO()
    (installed,) = root.handlers
    assert isinstance(installed, logging.StreamHandler)
    installed.setStream(logs)
    yield module, logs
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_run_through_the_lambda_entry_logs_json_with_ids_and_emits_emf(
    localstack: str,
    stack: StackOutputs,
    entry_logs: tuple[Any, io.StringIO],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry, logs = entry_logs
    with emulator_with([]) as emulator:
        deps = build_deps(_settings(stack, emulator.base_url), make_clients())
        monkeypatch.setattr(entry, "_deps", deps)
        run_id = _accept(deps)
        sqs = make_clients().sqs
        plan = receive_all(sqs, stack.job_queue_url, 1)
        assert entry.lambda_handler(sqs_event(plan, stack.job_queue_arn), FakeLambdaContext()) == {
            "batchItemFailures": []
        }
        planned = deps.ledger.load_plan(run_id)
        assert planned is not None and planned.total_jobs >= 2
        jobs = receive_all(sqs, stack.job_queue_url, planned.total_jobs)
        response = entry.lambda_handler(sqs_event(jobs, stack.job_queue_arn), FakeLambdaContext())
        assert response == {"batchItemFailures": []}
    results = deps.ledger.list_job_results(run_id)

    metrics = _emf(capsys.readouterr().out)
    labeled = sum(r.counts.assets_labeled for r in results)
    assert labeled > 0
    assert sum(metrics["AssetsPrelabeled"]) == labeled
    assert sum(metrics["AssetsFailed"]) == sum(r.counts.assets_failed for r in results) + planned.failed
    assert sum(metrics["AssetsSkipped"]) == sum(planned.skipped.values())
    assert len(metrics["JobDuration"]) == planned.total_jobs + 1  # the plan job too
    assert len(metrics["ModelSecondsPerImage"]) >= planned.total_jobs  # a model call a job at least
    assert all(0 < seconds < 5 for seconds in metrics["ModelSecondsPerImage"])
    imports = sum(1 for r in results if r.counts.assets_labeled)  # jobs with something to import
    assert sum(metrics["HubCalls"]) >= 1 + imports  # the listing, and one import a job at least
    assert sum(metrics.get("HubThrottled", [0])) == 0

    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    ours = [line for line in lines if line["name"].startswith("handler.")]
    job_ids = {r.job_id for r in results} | {"plan"}
    assert {line["job_id"] for line in ours} == job_ids  # every job logged, each with its id
    assert all(line["run_id"] == run_id and line["service"] == "ango-batch-handler" for line in ours)
    assert any(line["name"] == "handler.inference.job" and line["level"] == "INFO" for line in ours)


def _settings(stack: StackOutputs, ango_host: str) -> Settings:
    return Settings(
        ANGO_HOST=ango_host,
        ANGO_PLUGIN_ID=demo_data.PLUGIN_ID,
        ANGO_PLUGIN_SECRET=demo_data.PLUGIN_SECRET,
        ANGO_BATCH_JOB_QUEUE_URL=stack.job_queue_url,
        ANGO_BATCH_STATUS_QUEUE_URL=stack.status_queue_url,
        ANGO_BATCH_JOB_DLQ_URL=stack.job_dlq_url,
        ANGO_BATCH_LEDGER_BUCKET=stack.ledger_bucket,
        ANGO_BATCH_KMS_KEY_ID=stack.kms_key_arn,
        ANGO_BATCH_ALLOWED_ASSET_NETWORKS="127.0.0.0/8,::1/128",
    )


def _accept(deps: Any) -> str:
    acceptor = RunAcceptor(demo_data.PLUGIN_ID, deps.model_factory.spec, deps.ledger, deps.jobs, deps.ango)
    run = acceptor.accept(
        {
            "projectId": demo_data.PROJECT_ID,
            "apiKey": demo_data.API_KEY,
            "session": "observability-session",
            "orgId": demo_data.ORG_ID,
            "runBy": demo_data.USER_ID,
            "batches": [demo_data.BATCH_B_ID],
            "categorySchema": [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Face"}],
            "configJSON": json.dumps({"job_size": 5, "batch_size": 2}),
        }
    )
    assert run is not None
    return run.run_id


def _emf(stdout: str) -> dict[str, list[float]]:
    """Every metric's values over all EMF lines, after checking each line's namespace and dimension."""
    values: dict[str, list[float]] = defaultdict(list)
    for line in (json.loads(text) for text in stdout.splitlines() if '"_aws"' in text):
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "AngoBatch"
        assert directive["Dimensions"] == [["Service"]]
        assert line["Service"] == "handler"
        for metric in directive["Metrics"]:
            values[metric["Name"]] += line[metric["Name"]]
    return values
