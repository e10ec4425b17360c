"""A run end to end through the real code, on in-memory fakes (tests/functional/fakes.py): the
listener's acceptor queues a plan job, the container worker's loop (burst) runs the plan and infer
jobs through `run_job`, the status relay answers the run. No LocalStack, no emulator, no sockets.

Covered here: the planner, inference, the importer (exactly once after a redelivery and after an
import that applied but went unanswered), the relay (counts, one answer, redelivered events) and
the dead-letter drain."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from handler.contract.aws import AwsClients
from handler.contract.ledger import Ledger
from handler.contract.messages import InferJob, parse_job
from handler.contract.model import load_model_factory, load_model_spec
from handler.contract.queues import MessageQueue
from handler.contract.records import RunRecord
from handler.contract.settings import Settings
from handler.deps import Deps
from handler.runner import run_job
from handler.worker import Worker
from listener.acceptance import RunAcceptor
from listener.dead_letters import NOT_PROCESSED, record_dead_job
from listener.polling import poll_once
from listener.relay import RunRegistry, StatusRelay
from tests.functional.fakes import FakeHub, FakeKms, FakeS3, FakeSqs, FakeStorage, HubAsset

pytestmark = pytest.mark.unit
JOBS, STATUS = "sqs://jobs", "sqs://status"
PROJECT = {
    "type": "image",
    "categorySchema": {"tools": [{"schemaId": "box", "title": "Obj", "tool": "bounding-box"}]},
}


@dataclass
class Notifier:
    logs: list[tuple[str, str]] = field(default_factory=list)
    responses: list[tuple[str, bool]] = field(default_factory=list)
    connected: bool = True

    def log(self, run: RunRecord, level: str, message: str) -> None:
        self.logs.append((level, message))

    def respond(self, run: RunRecord, message: str, error: bool = False) -> threading.Event:
        self.responses.append((message, error))
        sent = threading.Event()
        sent.set()
        return sent


@dataclass
class World:
    hub: FakeHub
    sqs: FakeSqs = field(default_factory=FakeSqs)
    storage: FakeStorage = field(default_factory=FakeStorage)
    notifier: Notifier = field(default_factory=Notifier)
    clients: AwsClients = field(default_factory=lambda: AwsClients(sqs=None, s3=FakeS3(), kms=FakeKms()))

    def __post_init__(self) -> None:
        settings = Settings(ANGO_BATCH_MODEL="fixed-latency")
        self.ledger = Ledger(self.clients.s3, self.clients.kms, "bucket", "key")
        self.deps = Deps(
            settings=settings,
            ledger=self.ledger,
            jobs=MessageQueue(self.sqs, JOBS),
            status=MessageQueue(self.sqs, STATUS),
            fetcher=self.storage,  # type: ignore[arg-type]
            model_factory=load_model_factory("fixed-latency"),
            ango=lambda key: self.hub,  # type: ignore[arg-type,return-value]
        )
        self.acceptor = RunAcceptor(
            "plugin", load_model_spec("fixed-latency"), self.ledger, self.deps.jobs, self.deps.ango
        )
        self.relay = StatusRelay(self.sqs, STATUS, RunRegistry(self.ledger), self.ledger, self.notifier)

    def click_run(self, session: str = "s1", **config: Any) -> RunRecord:
        config = {"model": {"seconds_per_batch": 0}, "job_size": 4, **config}
        payload = {
            "projectId": "proj",
            "apiKey": "key-1",
            "session": session,
            "categorySchema": [{"schemaId": "box", "modelClass": "Object"}],
            "configJSON": json.dumps(config),
        }
        run = self.acceptor.accept(payload)
        assert run is not None
        self.relay._registry.add(run)
        return run

    def work(self) -> None:
        Worker(self.deps, self.sqs, concurrency=2, grace_seconds=5).run(burst=True)

    def relay_all(self) -> None:
        while poll_once(self.sqs, STATUS, self.relay._handle, threading.Event()):
            pass


def hub_assets(count: int, **overrides: Any) -> list[HubAsset]:
    return [HubAsset(f"a{n}", f"img{n}.png", **overrides) for n in range(count)]


@pytest.fixture
def world() -> Iterator[World]:
    yield World(FakeHub(hub_assets(10), PROJECT))


def test_a_run_labels_every_asset_once_and_is_answered_once(world: World) -> None:
    world.hub.assets[3].status = "COMPLETED"
    world.click_run()
    world.work()
    world.relay_all()
    assert [len(a.objects) for a in world.hub.assets] == [1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 9 of 10 assets with 9 objects")
    assert "1 assets skipped (1 status COMPLETED)" in message
    assert world.hub.imports == 3  # jobs of 4, 4, 1: one import call each


def test_a_redelivered_job_and_its_status_change_nothing(world: World) -> None:
    run = world.click_run()
    world.work()
    job = next(job for job in _sent_jobs(world) if isinstance(job, InferJob))
    run_job(job, world.deps)  # delivered again, after it finished
    world.relay_all()
    assert world.hub.imports == 3 and all(len(a.objects) == 1 for a in world.hub.assets)
    assert len(world.notifier.responses) == 1
    assert world.ledger.load_final(run.run_id) is not None


def test_an_import_that_applied_but_went_unanswered_is_not_repeated(world: World) -> None:
    world.hub.fail_next_import_after_apply = True
    world.click_run()
    world.work()
    world.relay_all()
    assert all(len(a.objects) == 1 for a in world.hub.assets)  # looked up on Hub, not sent again
    assert world.notifier.responses[0][0].startswith("Pre-labeled 10 of 10 assets")


def test_a_rerun_skips_what_the_first_run_labeled(world: World) -> None:
    world.click_run("first")
    world.work()
    world.relay_all()
    world.click_run("second")
    world.work()
    world.relay_all()
    assert all(len(a.objects) == 1 for a in world.hub.assets)
    assert world.notifier.responses[1][0].startswith("Pre-labeled 0 of 10 assets")
    assert "10 assets skipped (10 already pre-labeled)" in world.notifier.responses[1][0]


def test_a_dead_lettered_job_still_ends_the_run(world: World) -> None:
    world.click_run(job_size=5)
    plan_body = world.sqs.bodies(JOBS)[0]
    run_job(parse_job(plan_body), world.deps)  # the plan job: two infer jobs are queued
    world.sqs.queues[JOBS] = [m for m in world.sqs.queues[JOBS] if m.body != plan_body]
    dead, alive = world.sqs.bodies(JOBS)
    world.sqs.queues[JOBS] = [m for m in world.sqs.queues[JOBS] if m.body == alive]
    record_dead_job(dead, world.ledger, world.deps.status)  # what the drain does with a DLQ message
    world.work()
    world.relay_all()
    ((message, _),) = world.notifier.responses
    assert message.startswith("Pre-labeled 5 of 10 assets") and "5 assets failed" in message
    assert ("WARNING", f"Asset img0.png: {NOT_PROCESSED}") in world.notifier.logs


def _sent_jobs(world: World) -> list[Any]:
    return [parse_job(body) for body in world.sqs.sent[JOBS]]
