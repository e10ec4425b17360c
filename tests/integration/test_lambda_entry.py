"""The Lambda entry, fed SQS-shaped events built from real LocalStack messages (Lambda itself
cannot run here). Checks the partial batch failure contract: only the bad record is retried."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from handler import lambda_entry
from handler.contract.aws import make_clients
from handler.contract.settings import Settings
from handler.deps import build_deps
from infra import demo_data
from infra.stack import StackOutputs
from listener.acceptance import RunAcceptor

pytestmark = pytest.mark.integration


@dataclass
class FakeLambdaContext:
    function_name: str = "ango-batch-handler"
    memory_limit_in_mb: int = 3008
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ango-batch-handler"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def receive_all(sqs: Any, url: str, expected: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for _ in range(20):  # bounded: at most 20 long polls of 1 s
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
        messages += batch
        if len(messages) >= expected:
            break
    return messages


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """What Lambda's SQS event source hands the function, built from received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def test_lambda_entry_runs_jobs_and_reports_only_the_bad_record(
    localstack: str, stack: StackOutputs, emulator, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    clients = make_clients()
    deps = build_deps(settings, clients)
    monkeypatch.setattr(lambda_entry, "_deps", deps)
    acceptor = RunAcceptor(
        settings.ango_plugin_id, deps.model_factory.spec, deps.ledger, deps.jobs, deps.ango
    )
    session = "lambda-test-session"
    run = acceptor.accept(
        {
            "projectId": demo_data.PROJECT_ID,
            "apiKey": demo_data.API_KEY,
            "session": session,
            "orgId": demo_data.ORG_ID,
            "runBy": demo_data.USER_ID,
            "batches": [demo_data.BATCH_B_ID],
            "categorySchema": [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Face"}],
            "configJSON": json.dumps({"job_size": 5}),
        }
    )
    assert run is not None

    plan = receive_all(clients.sqs, stack.job_queue_url, 1)
    assert len(plan) == 1
    assert lambda_entry.lambda_handler(sqs_event(plan, stack.job_queue_arn), FakeLambdaContext()) == {
        "batchItemFailures": []
    }
    planned = deps.ledger.load_plan(run.run_id)
    assert planned is not None and planned.total_jobs >= 2

    clients.sqs.send_message(QueueUrl=stack.job_queue_url, MessageBody='{"kind": "infer", "oops": 1}')
    messages = receive_all(clients.sqs, stack.job_queue_url, planned.total_jobs + 1)
    assert len(messages) == planned.total_jobs + 1
    bad = next(m for m in messages if "oops" in m["Body"])

    response = lambda_entry.lambda_handler(sqs_event(messages, stack.job_queue_arn), FakeLambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    results = deps.ledger.list_job_results(run.run_id)
    assert len(results) == planned.total_jobs
    assert sum(r.counts.assets_labeled + r.counts.assets_empty for r in results) == planned.total_assets
    outside = [
        a for a in emulator.labels(demo_data.PROJECT_ID)["assets"] if demo_data.BATCH_B_ID not in a["batches"]
    ]
    tools = [t for a in outside for t in ((a["answer"] or {}).get("tools") or [])]
    assert not [t for t in tools if t["objectId"].startswith(run.run_id)]
