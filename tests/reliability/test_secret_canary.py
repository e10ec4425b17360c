"""The user's API key never appears in plaintext anywhere we write. A unique key (the canary) goes
through a run's successful path, its per-asset failures, a poison job that ends in the dead-letter
queue, the drain, and `ango-batch redrive`, plus two runs refused at the door. Then every log line
of every process, every queue message (status events included, peeked while the listener was down),
and every object in the ledger bucket are searched for it."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.stack import StackOutputs
from listener.acceptance import run_id_for
from tests.reliability.conftest import Cluster, cluster, emulator_with, start_run, wait_for_response
from tests.reliability.scenarios import poisoned_project, redrive

pytestmark = pytest.mark.integration
JOBS = 4  # poisoned_project: 20 assets in jobs of 5; job 3 is the poison


def test_the_api_key_never_appears_in_plaintext(localstack: str, stack: StackOutputs, tmp_path: Path) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    sqs = boto3.client("sqs")
    seen_messages: dict[str, str] = {}
    with (
        emulator_with([poisoned_project()], api_keys=(canary,)) as emulator,
        cluster(localstack, stack, emulator, tmp_path / "logs", workers=2) as running,
    ):
        refused = [
            _refused_run(emulator, canary, model_class="NotAClassOfTheModel"),
            _refused_run(emulator, canary, config_json='{"job_size": 0}'),
        ]
        with running.supervised():
            session = start_run(
                emulator, demo_data.BENCH_PROJECT_ID, seconds_per_batch=0.05, job_size=5, api_key=canary
            )
            _wait_for_log(emulator, session, "Run accepted")
            # Listener down: status events and the dead job stay in their queues to be peeked.
            assert running.processes.listener is not None
            running.processes.listener.kill()
            running.processes.listener.wait(timeout=10)
            _wait_for(
                lambda: _visible(sqs, stack.job_dlq_url) == 1, "the poison job to be dead-lettered", running
            )
            # The listener may have taken the plan's status before it died; the jobs' are all here.
            _wait_for(
                lambda: _finished_events(_peek_all(sqs, stack.status_queue_url)) >= JOBS - 1,
                "the status events of the 3 finished jobs",
                running,
            )
            for url in (stack.job_queue_url, stack.status_queue_url, stack.job_dlq_url, stack.status_dlq_url):
                seen_messages.update(_peek_all(sqs, url))
            running.processes.start_listener()
            state = wait_for_response(emulator, session, running, timeout=180)
            # Redrive: the poison job runs (and kills) three more times, and is drained again.
            redrive_output = redrive(stack)
            _wait_for(lambda: _dead_records(stack) >= 1, "the redriven job to be parked again", running, 120)
            time.sleep(2)
        logs = {name: running.processes.log_text(name) for name in _process_names(running)}
    logs["redrive"] = redrive_output
    objects = _ledger_objects(stack)

    places: dict[str, str] = {
        **{f"log {name}": text for name, text in logs.items()},
        **{f"message {mid}": body for mid, body in seen_messages.items()},
        **{f"s3 {key}": body.decode("latin-1") for key, body in objects.items()},
    }
    leaks = [where for where, text in places.items() if canary in text or _b64(canary) in text]
    log_lines = sum(text.count("\n") for text in logs.values())
    status_events = _finished_events(seen_messages)
    print(
        f"\n[canary] searched {log_lines} log lines in {len(logs)} processes, {len(seen_messages)} queue "
        f"messages ({status_events} job status events), {len(objects)} ledger objects: "
        f"{len(leaks)} plaintext occurrences"
    )
    assert all(r.startswith("Run not started: ") for r in refused), refused
    assert state["responses"][0]["response"].startswith("Pre-labeled 13 of 20 assets")
    assert status_events >= JOBS - 1 and any(key.endswith("/run.json") for key in objects)
    assert "/dead/000003.json" in " ".join(objects)
    assert leaks == []
    # The key is there, but only as KMS ciphertext bound to its run.
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    record = json.loads(objects[f"runs/{run_id}/run.json"])
    plaintext = boto3.client("kms").decrypt(
        CiphertextBlob=base64.b64decode(record["api_key_ciphertext"]), EncryptionContext={"run_id": run_id}
    )["Plaintext"]
    assert plaintext.decode() == canary


def _refused_run(emulator: EmulatorControl, api_key: str, **overrides: Any) -> str:
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=demo_data.BENCH_PROJECT_ID,
        user_api_key=api_key,
        category_schema=[
            {"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": overrides.get("model_class", "Object")}
        ],
        config_json=overrides.get("config_json"),
    )
    state = emulator.wait_for_response(session, timeout=30)
    assert state["responses"] == [{"error": True, "session": session}]  # Hub's form for a failed run
    errors = [log["msg"] for log in state["logs"] if log["level"] == "ERROR"]
    return str(errors[0]) if errors else ""


def _wait_for_log(emulator: EmulatorControl, session: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in log["msg"] for log in emulator.session(session)["logs"]):
        assert time.monotonic() < deadline, f"no log {text!r}"
        time.sleep(0.05)


def _wait_for(check: Any, what: str, running: Cluster, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{running.logs()}")
        time.sleep(0.2)


def _finished_events(messages: dict[str, str]) -> int:
    return sum(1 for body in messages.values() if '"kind":"job_finished"' in body)


def _visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _peek_all(sqs: Any, url: str) -> dict[str, str]:
    """Every message in the queue, each left visible again at once."""
    seen: dict[str, str] = {}
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            seen[message["MessageId"]] = message["Body"]
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        if not messages:
            break
    return seen


def _ledger_objects(stack: StackOutputs) -> dict[str, bytes]:
    bucket = boto3.resource("s3").Bucket(stack.ledger_bucket)
    return {item.key: item.get()["Body"].read() for item in bucket.objects.all()}


def _dead_records(stack: StackOutputs) -> int:
    return sum(1 for key in _ledger_objects(stack) if "/dead/" in key)


def _process_names(running: Cluster) -> list[str]:
    return ["listener"] + [f"worker-{i}" for i in range(len(running.processes.workers))]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
