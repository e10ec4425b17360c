"""`ango-batch check`: is everything a run needs within reach? One line per check, each saying
what to fix when it fails: Ango Hub (REST and the plugin socket), the AWS resources, the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import requests
import socketio
from botocore.exceptions import BotoCoreError, ClientError

from handler.contract.aws import AwsClients
from handler.contract.model import PredictContext, load_model_factory
from handler.contract.settings import Settings
from listener.connection_errors import describe_connect_error
from listener.plugin_socket import NAMESPACE


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def run_checks(settings: Settings, clients: AwsClients, heartbeat: bool = False) -> list[Check]:
    checks = [
        _check("Ango Hub REST API", lambda: _hub_rest(settings)),
        _check("Ango Hub plugin socket", lambda: _plugin_socket(settings, heartbeat)),
    ]
    for name, probe in _aws_probes(settings, clients).items():
        checks.append(_check(name, probe))
    checks.append(model_check(settings))
    return checks


def model_check(settings: Settings) -> Check:
    """Does the model load and predict? For `onnx`, that is the file loading and fitting its spec;
    for `endpoint`, the endpoint answering a request for a blank image."""
    return _check(f"model {settings.model_name!r}", lambda: _model(settings))


def _check(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except _Failed as failed:
        return Check(name, False, str(failed))


class _Failed(Exception):
    """A check failed; the message says what to fix."""


def _hub_rest(settings: Settings) -> str:
    # No key is sent: any HTTP answer (401 included) shows that the origin serves Ango's API.
    started = time.monotonic()
    try:
        response = requests.get(f"{settings.ango_host}/v2/project/check", timeout=10)
    except requests.RequestException as exc:
        raise _Failed(describe_connect_error(exc, settings.ango_host)) from None
    millis = (time.monotonic() - started) * 1000
    if response.status_code not in (400, 401, 403, 404):
        raise _Failed(f"{settings.ango_host} answered HTTP {response.status_code}: is ANGO_HOST Ango Hub?")
    return f"{settings.ango_host} answers (HTTP {response.status_code} without a key, {millis:.0f} ms)"


def _plugin_socket(settings: Settings, heartbeat: bool) -> str:
    client = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
    try:
        client.connect(settings.ango_host, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10)
    except Exception as exc:
        raise _Failed(describe_connect_error(exc, settings.ango_host)) from None
    try:
        if not heartbeat:
            return "connected (no heartbeat sent; add --heartbeat to present the plugin's ID and Secret)"
        secret = settings.ango_plugin_secret.get_secret_value()
        if not settings.ango_plugin_id or not secret:
            raise _Failed("ANGO_PLUGIN_ID and ANGO_PLUGIN_SECRET must be set (the plugin's page in Hub)")
        client.emit("heartbeat", {"id": settings.ango_plugin_id, "secret": secret}, namespace=NAMESPACE)
        time.sleep(1)
        return (
            f"connected and sent a heartbeat as plugin {settings.ango_plugin_id}. Hub does not answer "
            "heartbeats: if the ID and Secret are right, the plugin shows as live in Hub within a minute"
        )
    finally:
        client.disconnect()


def _aws_probes(settings: Settings, clients: AwsClients) -> dict[str, Callable[[], str]]:
    def queue(url: str) -> Callable[[], str]:
        return lambda: _aws(
            lambda: clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]), url
        )

    return {
        "job queue": queue(settings.job_queue_url),
        "status queue": queue(settings.status_queue_url),
        "job dead-letter queue": queue(settings.job_dlq_url),
        "ledger bucket": lambda: _aws(
            lambda: clients.s3.head_bucket(Bucket=settings.ledger_bucket), settings.ledger_bucket
        ),
        "KMS key": lambda: _aws(
            lambda: clients.kms.describe_key(KeyId=settings.kms_key_id), settings.kms_key_id
        ),
    }


def _aws(call: Callable[[], Any], what: str) -> str:
    if not what:
        raise _Failed("not set: set it (see README's settings) or deploy the stack")
    try:
        call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise _Failed(f"{code} on {what}: check the name and this role's permissions") from None
    except BotoCoreError as exc:
        raise _Failed(f"{type(exc).__name__} on {what}: check AWS credentials, region and endpoint") from None
    return f"{what} reachable"


def _model(settings: Settings) -> str:
    try:
        factory = load_model_factory(settings.model_name)
        model = factory()
        config = factory.spec.config.model_validate(factory.spec.default_config)
        predictions = model.predict([np.zeros((64, 64, 3), dtype=np.uint8)], PredictContext(config, "check"))
    except Exception as exc:  # any failure of the user's code is what this check is for
        raise _Failed(f"does not load or predict ({type(exc).__name__}: {str(exc)[:200]})") from None
    classes = ", ".join(factory.spec.classes)
    return f"loads and predicts ({len(predictions[0])} objects on a blank image); classes: {classes}"
