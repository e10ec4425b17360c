"""The Lambda entry as Lambda runs it, on in-memory fakes: `handler.*` INFO lines leave as JSON
with the job's ids (Lambda's own root handler would have dropped them), and every job leaves one
EMF line of metrics before the invocation returns."""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

import handler.lambda_entry
from handler.contract.messages import PlanJob
from handler.contract.records import RunPlan, RunRecord
from tests.records import run_record

pytestmark = pytest.mark.unit


@dataclass
class FakeLambdaContext:
    function_name: str = "ango-batch-handler"
    memory_limit_in_mb: int = 3008
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ango-batch-handler"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


class PlannedLedger:
    """Every run exists and is planned already: a plan job only re-sends its status."""

    def load_run(self, run_id: str) -> RunRecord:
        return run_record(run_id)

    def load_plan(self, run_id: str) -> RunPlan:
        return RunPlan(total_assets=3, total_jobs=1)


@dataclass
class RecordingQueue:
    sent: list[BaseModel] = field(default_factory=list)

    def send(self, message: BaseModel, delay_seconds: int = 0) -> None:
        self.sent.append(message)


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"message-{i}",
                "receiptHandle": f"receipt-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:jobs",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


@dataclass
class LoadedEntry:
    module: Any
    logs: io.StringIO  # what the root handler lambda_entry installed writes


@pytest.fixture
def lambda_entry(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoadedEntry]:
    """The module as a fresh Lambda container loads it, on fakes."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    module = importlib.reload(handler.lambda_entry)
    (installed,) = root.handlers
    logs = io.StringIO()
    assert isinstance(installed, logging.StreamHandler)
    installed.setStream(logs)
    deps = SimpleNamespace(ledger=PlannedLedger(), status=RecordingQueue(), jobs=RecordingQueue())
    monkeypatch.setattr(module, "_deps", deps)
    yield LoadedEntry(module, logs)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_handler_lines_are_json_with_ids_and_each_job_flushes_its_metrics(
    lambda_entry: LoadedEntry, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [PlanJob(run_id=run_id).model_dump_json() for run_id in ("run-a", "run-b")]
    bodies.append('{"kind": "infer", "oops": 1}')

    response = lambda_entry.module.lambda_handler(sqs_event(bodies), FakeLambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-2"}]}
    logs = [json.loads(line) for line in lambda_entry.logs.getvalue().splitlines()]
    runner_lines = [line for line in logs if line.get("name") == "handler.runner"]
    assert [(line["message"], line["run_id"], line["job_id"]) for line in runner_lines] == [
        ("job run-a/plan: start", "run-a", "plan"),
        ("job run-a/plan: done", "run-a", "plan"),
        ("job run-b/plan: start", "run-b", "plan"),
        ("job run-b/plan: done", "run-b", "plan"),
    ]
    assert all(line["level"] == "INFO" and line["service"] == "ango-batch-handler" for line in runner_lines)

    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert len(metrics) == 2  # one per job that ran; the malformed one never reached run_job
    for line in metrics:
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "AngoBatch"
        assert directive["Dimensions"] == [["Service"]]
        assert line["Service"] == "handler"
        assert {"Name": "JobDuration", "Unit": "Seconds"} in directive["Metrics"]
        assert len(line["JobDuration"]) == 1 and 0 <= line["JobDuration"][0] < 5
