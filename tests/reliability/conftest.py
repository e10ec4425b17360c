"""Fixtures for the reliability tests: a fresh stack per test from template.yaml on LocalStack, an
emulator per test with its own knobs, and the adapter as separate processes that the tests kill.

Each stack is deployed as `ango-batch up` deploys it, with the template's defaults for container
workers (ComputeMode=none: the job queue's visibility is WorkerVisibilitySeconds' 120 s, 5 receives
before the dead-letter queue). Workers hold each job on their own 20 s lease (handler/worker.py), so
a job whose worker was killed is back within 20 s whatever the queue's timeout.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from handler.contract.aws import make_clients
from handler.contract.ledger import Ledger
from handler.contract.model import load_model_factory
from handler.contract.run_config import default_config_json
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator
from infra.localstack import local_aws_env
from infra.processes import AdapterProcesses, adapter_env, adapter_processes
from infra.stack import StackOutputs, temporary_stack

MODEL = "tests.reliability.poison_model"
PARAMETERS: dict[str, str] = {}  # the template's defaults


@pytest.fixture
def stack(localstack: str) -> Iterator[StackOutputs]:
    with temporary_stack("ango-rel", PARAMETERS) as outputs:
        yield outputs


def max_receive_count(stack: StackOutputs) -> int:
    """The job queue's deliveries before its dead-letter queue, as deployed."""
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.job_queue_url, AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    return int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])


@pytest.fixture
def ledger(stack: StackOutputs) -> Ledger:
    clients = make_clients()
    return Ledger(clients.s3, clients.kms, stack.ledger_bucket, stack.kms_key_arn)


@dataclass
class Cluster:
    """The adapter's processes, plus what a container platform does: restart dead workers."""

    processes: AdapterProcesses
    emulator: EmulatorControl
    concurrency: int = 1
    grace: float = 10.0
    wanted_workers: int = 0
    restarts: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, workers: int) -> None:
        self.processes.start_listener()
        for _ in range(workers):
            self.processes.start_worker(self.concurrency, self.grace)
        self.wanted_workers = workers
        self.emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)

    def live_workers(self) -> list[tuple[str, Any]]:
        return [
            (f"worker-{i}", process)
            for i, process in enumerate(self.processes.workers)
            if process.poll() is None
        ]

    @contextmanager
    def supervised(self) -> Iterator[None]:
        """Replace every worker that dies, as ECS or Batch would, while the block runs."""
        thread = threading.Thread(target=self._supervise, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=5)

    def _supervise(self) -> None:
        while not self._stop.wait(0.2):
            for _ in range(self.wanted_workers - len(self.live_workers())):
                self.processes.start_worker(self.concurrency, self.grace)
                self.restarts += 1

    def logs(self) -> str:
        names = ["listener"] + [f"worker-{i}" for i in range(len(self.processes.workers))]
        return "\n".join(f"--- {name}\n{self.processes.log_text(name)[-4000:]}" for name in names)


@contextmanager
def cluster(
    localstack: str,
    stack: StackOutputs,
    emulator: EmulatorControl,
    log_dir: Path,
    workers: int,
    concurrency: int = 1,
    grace: float = 10.0,
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """A listener and `workers` workers running the poison-aware model; all stopped on exit.
    `env` adds to or overrides the adapter's environment."""
    env = adapter_env(
        stack,
        emulator.base_url,
        demo_data.PLUGIN_ID,
        demo_data.PLUGIN_SECRET,
        local_aws_env(localstack),
        {"ANGO_BATCH_MODEL": MODEL, "ANGO_BATCH_PROGRESS_INTERVAL_SECONDS": "1", **(env or {})},
    )
    with adapter_processes(env, log_dir) as processes:
        started = Cluster(processes, emulator, concurrency, grace)
        started.start(workers)
        yield started


@contextmanager
def emulator_with(
    projects: list[dict[str, Any]], api_keys: tuple[str, ...] = (), **knobs: Any
) -> Iterator[EmulatorControl]:
    """An emulator serving the demo seed plus `projects`, with the given knobs; each of `api_keys`
    belongs to one more user of the demo org with access to `projects`."""
    with run_emulator(seed="demo", **knobs) as emulator:
        seed = demo_data.seed_for([_base64_contents(p) for p in projects])
        seed["users"] += [
            {
                "userId": f"user-{i}",
                "apiKey": key,
                "orgId": demo_data.ORG_ID,
                "projects": [p["_id"] for p in projects],
            }
            for i, key in enumerate(api_keys)
        ]
        if projects:
            emulator.seed(seed)
        yield emulator


def _base64_contents(project: dict[str, Any]) -> dict[str, Any]:
    assets = []
    for asset in project["assets"]:
        asset = dict(asset)
        asset["contentBase64"] = base64.b64encode(asset.pop("content")).decode()
        assets.append(asset)
    return {**project, "assets": assets}


def start_run(
    emulator: EmulatorControl,
    project_id: str,
    seconds_per_batch: float = 0.2,
    job_size: int = 10,
    batch_size: int = 8,
    api_key: str = demo_data.API_KEY,
) -> str:
    config = json.loads(default_config_json(load_model_factory(MODEL).spec))
    config.update(
        {"job_size": job_size, "batch_size": batch_size, "model": {"seconds_per_batch": seconds_per_batch}}
    )
    return emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=project_id,
        user_api_key=api_key,
        category_schema=[{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Object"}],
        batches=[],
        config_json=json.dumps(config),
    )


def wait_for_response(
    emulator: EmulatorControl, session: str, cluster: Cluster, timeout: float
) -> dict[str, Any]:
    try:
        return emulator.wait_for_response(session, timeout=timeout)
    except TimeoutError:
        pytest.fail(f"no response for session {session} in {timeout:.0f} s\n{cluster.logs()}")


def hub_labels(emulator: EmulatorControl, project_id: str) -> dict[str, list[dict[str, Any]]]:
    """externalId -> the pre-label objects Hub holds on that asset."""
    return {a["externalId"]: a["answer"]["tools"] for a in emulator.labels(project_id)["assets"]}


def elapsed_since(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"
