"""The listener as a whole against hostile `plugin` payloads: a real `Listener` on a LocalStack stack,
its socket swapped for a recorder. Every invalid payload must get one ERROR log line ("Run not
started: <the parser's reason>") and then exactly one response in Hub's error form, and nothing may
reach the job queue."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, assume, given, settings

from handler.contract.model import load_model_factory
from handler.contract.run_config import ConfigError, parse_config_json
from handler.contract.settings import Settings
from infra.stack import StackOutputs
from listener.payload import PayloadError, parse_plugin_run, session_of
from listener.service import Listener
from tests.security.strategies import BAD_CONFIG_PAYLOADS, PAYLOADS

pytestmark = pytest.mark.integration
EXAMPLES = 1_000
SPEC = load_model_factory("haar").spec


@dataclass
class RecordingSocket:
    """Stands in for PluginSocket: the listener only ever calls `emit` on it while accepting."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def emit(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))


NOT_DELIVERABLE = object()


def as_delivered(generated: Any) -> Any:
    """The payload as the listener gets it: python-socketio decodes each event with json.loads, so
    what JSON cannot carry (ints past 4300 digits, nesting past the recursion limit) never arrives.
    NaN, Infinity and lone surrogates (as \\u escapes) do."""
    try:
        return json.loads(json.dumps(generated))
    except (ValueError, RecursionError):
        return NOT_DELIVERABLE


def expected_refusal(data: Any) -> str | None:
    """What the parsers say about data, or None when both accept it (not an invalid payload)."""
    try:
        run = parse_plugin_run(data)
        parse_config_json(run.configJSON, SPEC)
    except (PayloadError, ConfigError) as exc:
        return str(exc)
    return None


def queued(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def test_invalid_payloads_get_one_error_response_and_enqueue_nothing(localstack: str, stack: StackOutputs):
    listener = Listener(
        Settings(
            ANGO_HOST="http://127.0.0.1:9",  # never called: every payload here fails validation first
            ANGO_PLUGIN_ID="fuzz-plugin",
            ANGO_PLUGIN_SECRET="fuzz-secret",
            ANGO_BATCH_JOB_QUEUE_URL=stack.job_queue_url,
            ANGO_BATCH_STATUS_QUEUE_URL=stack.status_queue_url,
            ANGO_BATCH_LEDGER_BUCKET=stack.ledger_bucket,
            ANGO_BATCH_KMS_KEY_ID=stack.kms_key_arn,
        )
    )
    sqs = boto3.client("sqs")
    assert queued(sqs, stack.job_queue_url) == 0
    seen: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(PAYLOADS | BAD_CONFIG_PAYLOADS)
    def check(generated: Any) -> None:
        seen["generated"] += 1
        data = as_delivered(generated)
        assume(data is not NOT_DELIVERABLE)
        expected = expected_refusal(data)
        seen["valid, skipped"] += expected is None
        assume(expected is not None)  # a valid payload would go on to Ango Hub: not this test
        seen["examples"] += 1
        socket = RecordingSocket()
        listener.socket = socket
        listener._accept(data)
        session = session_of(data)
        assert socket.events == [
            ("log", log_event(data, session, f"Run not started: {expected}")),
            ("response", {"error": True, "session": session}),
        ]
        seen["config" if expected.startswith("Config JSON") else "payload"] += 1

    check()
    assert queued(sqs, stack.job_queue_url) == 0
    print(
        f"\nlistener: {seen['examples']} invalid payloads, each refused with one response "
        f"({seen['payload']} by the payload check, {seen['config']} by the Config JSON check); "
        f"0 jobs queued; {seen['generated']} generated, {seen['valid, skipped']} valid ones skipped"
    )
    assert seen["examples"] >= EXAMPLES and seen["payload"] > 0 and seen["config"] > 0
    assert_queue_count_is_live(sqs, stack.job_queue_url)


def log_event(data: Any, session: str, message: str) -> dict[str, Any]:
    fields = data if isinstance(data, dict) else {}

    def echoed(key: str) -> str:  # only text is echoed back; anything else is left out
        value = fields.get(key)
        return value[:200] if isinstance(value, str) else ""

    return {
        "level": "ERROR",
        "organization": echoed("orgId"),
        "pluginId": "fuzz-plugin",
        "runBy": echoed("runBy"),
        "session": session,
        "msg": message,
    }


def assert_queue_count_is_live(sqs: Any, url: str) -> None:
    """The zero above means something: one message sent now is counted at once (then removed)."""
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    deadline = time.monotonic() + 10
    while queued(sqs, url) != 1:
        assert time.monotonic() < deadline, "LocalStack never counted a sent message"
        time.sleep(0.1)
    sqs.purge_queue(QueueUrl=url)
