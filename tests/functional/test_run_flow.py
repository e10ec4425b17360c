"""A run end to end through the real code, on in-memory fakes (tests/functional/fakes.py): the
listener's acceptor queues a plan job, the container worker's loop (burst) runs the plan and infer
jobs through `run_job`, the status relay answers the run. No LocalStack, no emulator, no sockets.

Covered here: the planner, inference, the importer (exactly once after a redelivery and after an
import that applied but went unanswered), the relay (counts, one answer, redelivered events) and
the dead-letter drain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handler.contract.messages import InferJob, parse_job
from handler.runner import run_job
from listener.dead_letters import NOT_PROCESSED, record_dead_job
from tests.functional.fakes import FakeHub
from tests.functional.world import JOBS, PROJECT, World, hub_assets

pytestmark = pytest.mark.unit


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
    for asset in parse_job(dead).assets:  # type: ignore[union-attr]
        assert ("WARNING", f"Asset {asset.external_id}: {NOT_PROCESSED}") in world.notifier.logs


def _sent_jobs(world: World) -> list[Any]:
    return [parse_job(body) for body in world.sqs.sent[JOBS]]
