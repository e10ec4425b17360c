"""The listener learns a model's classes and config schema from its module without creating the
model, so the model's libraries need not be in the listener's image (README, Bring your model)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from handler.contract.aws import AwsClients
from handler.contract.model import load_model_factory, load_model_spec
from handler.contract.settings import Settings
from listener.service import Listener

pytestmark = pytest.mark.unit
HEAVY = "tests.unit.heavy_model"
PROJECT = {"categorySchema": {"tools": [{"schemaId": "car1", "title": "Car", "tool": "bounding-box"}]}}


@dataclass
class FakeAws:
    """Just what accepting a run calls: KMS encrypt, S3 put and list, SQS send."""

    objects: dict[str, bytes] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def encrypt(self, **kwargs: Any) -> dict[str, Any]:
        return {"CiphertextBlob": b"sealed"}

    def put_object(self, Key: str, Body: bytes, **kwargs: Any) -> dict[str, Any]:
        self.objects[Key] = Body
        return {"ETag": '"1"'}

    def send_message(self, MessageBody: str, **kwargs: Any) -> dict[str, Any]:
        self.messages.append(MessageBody)
        return {"MessageId": "m1"}

    def get_paginator(self, name: str) -> FakeAws:  # S3 listings: the bucket holds no other run
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        return [{"Contents": []}]


class FakeHub:
    def get_project(self, project_id: str) -> dict[str, Any]:
        return PROJECT


def test_the_spec_is_read_without_the_models_library() -> None:
    spec = load_model_spec(HEAVY)
    assert spec.classes == {"Car": "bounding-box"}
    with pytest.raises(ModuleNotFoundError, match="torch_that_does_not_exist"):
        load_model_factory(HEAVY)()  # what a handler does: it needs the library


def test_the_listener_accepts_a_run_for_a_model_it_could_not_create() -> None:
    aws = FakeAws()
    settings = Settings(
        ANGO_HOST="http://127.0.0.1:9",
        ANGO_PLUGIN_ID="plugin-1",
        ANGO_PLUGIN_SECRET="plugin-secret",
        ANGO_BATCH_MODEL=HEAVY,
        ANGO_BATCH_JOB_QUEUE_URL="https://sqs/jobs",
        ANGO_BATCH_STATUS_QUEUE_URL="https://sqs/status",
        ANGO_BATCH_LEDGER_BUCKET="ledger",
        ANGO_BATCH_KMS_KEY_ID="key",
    )
    listener = Listener(settings, AwsClients(sqs=aws, s3=aws, kms=aws))
    listener.acceptor.ango = lambda api_key: FakeHub()  # type: ignore[assignment,return-value]
    config = {"job_size": 10, "model": {"threshold": 0.7}}
    listener._accept_with_ids(
        {
            "projectId": "project-1",
            "apiKey": "user-api-key",
            "session": "session-1",
            "categorySchema": [{"schemaId": "car1", "modelClass": "Car"}],
            "configJSON": json.dumps(config),
        }
    )

    (run_key,) = [key for key in aws.objects if key.endswith("/run.json")]
    run = json.loads(aws.objects[run_key])
    assert run["config"]["model"] == {"threshold": 0.7}
    # Stored as before answers existed: handlers of the previous release read it.
    assert run["targets"] == [{"model_class": "Car", "schema_id": "car1", "tool": "bounding-box"}]
    assert [json.loads(body)["kind"] for body in aws.messages] == ["plan"]
    assert "torch_that_does_not_exist" not in sys.modules


def test_the_builtin_models_spec_needs_no_opencv() -> None:
    # A fresh interpreter: this one may have imported cv2 for other tests.
    probe = (
        "import sys; from handler.contract.model import load_model_spec as spec; spec('haar'); "
        "print('cv2' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False"
