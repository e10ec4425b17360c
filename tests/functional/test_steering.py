"""Watching and steering runs on in-memory fakes: cancel (from the CLI's code and from a click in
Hub), retry after the asset host recovers, a trial run, the output policy, control clicks refused
to a user who cannot open the project, and the estimate line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from handler import cancel_watch
from handler.contract.messages import parse_job
from handler.contract.model import Image, PredictContext, Prediction
from handler.contract.run_figures import RunFigures
from handler.contract.run_state import run_state
from handler.runner import run_job
from listener.acceptance import ActionDone, RunRejected
from listener.dead_letters import record_dead_job
from listener.run_control import ControlRefused, cancel_run, retry_run
from tests.functional.fakes import FakeHub
from tests.functional.world import JOBS, PROJECT, World, hub_assets

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[World]:
    yield World(FakeHub(hub_assets(10), PROJECT))


@pytest.fixture(autouse=True)
def no_cancel_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cancel_watch, "TTL_SECONDS", 0.0)  # each look reads the ledger


def test_a_cancel_mid_job_stops_before_the_next_model_batch_and_import(world: World) -> None:
    run = world.click_run(job_size=10, batch_size=2)
    model, calls = world.deps.model, []

    class CancelledDuringFirstBatch:
        spec = model.spec

        def predict(self, images: Sequence[Image], context: PredictContext[Any]) -> list[list[Prediction]]:
            calls.append(len(images))
            cancel_run(world.ledger, run.run_id)  # the operator, while the first batch runs
            return model.predict(images, context)

    world.deps._model = CancelledDuringFirstBatch()  # type: ignore[assignment]
    world.work()
    world.relay_all()
    assert calls == [2] and world.hub.imports == 0  # no second batch, no import
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Cancelled after 0 of 10 assets: pre-labeled 0 with 0 objects")
    assert message.endswith("; 10 assets not processed.")
    assert run_state(world.ledger.run_files(run.run_id)) == "cancelled"
    (result,) = world.ledger.list_job_results(run.run_id)
    assert result.counts.assets_cancelled == 10 and len(result.unfinished) == 10
    with pytest.raises(ControlRefused, match="answered already"):
        cancel_run(world.ledger, run.run_id)


def test_queued_jobs_of_a_cancelled_run_are_dropped_when_received(world: World) -> None:
    run = world.click_run(job_size=2)
    run_job(parse_job(world.sqs.bodies(JOBS)[0]), world.deps)  # the plan: five jobs queued
    world.sqs.queues[JOBS].pop(0)
    run_job(parse_job(world.sqs.bodies(JOBS)[0]), world.deps)  # the first job is done
    world.sqs.queues[JOBS].pop(0)
    world.ledger.mark_cancelled(run.run_id)
    downloads = world.storage.downloads
    world.work()
    world.relay_all()
    assert world.hub.imports == 1 and world.storage.downloads == downloads
    ((message, _),) = world.notifier.responses
    assert message.startswith("Cancelled after 2 of 10 assets: pre-labeled 2 with 2 objects")
    assert message.endswith("; 8 assets not processed.")
    assert world.sqs.bodies(JOBS) == []  # every job acknowledged


def test_a_cancel_click_cancels_the_projects_running_runs(world: World) -> None:
    run = world.click_run(job_size=2)
    done = world.click("control", action="cancel", api_key="key-2")  # another user of the project
    assert isinstance(done, ActionDone)
    assert done.message.startswith(f"Cancelled 1 runs on this project: {run.run_id} started by")
    world.work()
    world.relay_all()
    assert world.notifier.responses[0][0].startswith("Cancelled after 0 of 0 assets")
    again = world.click("control-2", action="cancel")
    assert isinstance(again, ActionDone) and again.message.startswith("Nothing to cancel")


def test_a_control_click_is_refused_to_a_key_that_cannot_open_the_project(world: World) -> None:
    world.click_run()
    with pytest.raises(RunRejected, match="refused the API key"):
        world.click("control", action="cancel", api_key="outsider-key")
    assert world.ledger.run_files(world.ledger.recent_run_ids()[0]) >= {"run.json"}
    assert not world.ledger.is_cancelled(world.ledger.recent_run_ids()[0])


def test_a_retry_after_the_host_recovers_labels_the_failed_assets_once(world: World) -> None:
    world.storage.missing = {world.hub.assets[n].url for n in (2, 7)}
    run = world.click_run()
    world.work()
    world.relay_all()
    assert "2 assets failed" in world.notifier.responses[0][0]
    world.storage.missing.clear()  # the asset host is back
    retried = retry_run(world.ledger, world.deps.jobs, world.deps.status, run.run_id)
    assert (retried.round, retried.assets, retried.jobs) == (1, 2, 1)
    world.work()
    world.relay_all()
    assert len(world.notifier.responses) == 1  # the session was answered once; the retry logs
    assert ("INFO", "Retry 1: 2 failed or unprocessed assets queued again in 1 jobs.") in world.notifier.logs
    final = world.ledger.load_final(run.run_id)
    assert final is not None and final.message.startswith("After retry 1: Pre-labeled 10 of 10 assets")
    assert "0 assets failed" in final.message and ("INFO", final.message) in world.notifier.logs
    assert all(len(a.objects) == 1 for a in world.hub.assets)
    figures = RunFigures(world.ledger.list_job_results(run.run_id), world.ledger.list_retries(run.run_id))
    assert figures.totals().assets_labeled == 10 and figures.totals().assets_failed == 0
    assert figures.failures() == [] and figures.unfinished() == []
    with pytest.raises(ControlRefused, match="no failed or unprocessed assets"):
        retry_run(world.ledger, world.deps.jobs, world.deps.status, run.run_id)


def test_a_retry_click_retries_the_projects_last_finished_run(world: World) -> None:
    world.storage.missing = {world.hub.assets[0].url}
    run = world.click_run()
    world.work()
    world.relay_all()
    world.storage.missing.clear()
    done = world.click("control", action="retry_failed")
    assert isinstance(done, ActionDone)
    assert done.message == f"Retry: retry 1 of run {run.run_id}: 1 assets queued again in 1 jobs."
    world.work()
    world.relay_all()
    final = world.ledger.load_final(run.run_id)
    assert final is not None and final.message.startswith("After retry 1: Pre-labeled 10 of 10")


def test_a_retry_of_an_unfinished_run_is_refused(world: World) -> None:
    run = world.click_run()
    with pytest.raises(ControlRefused, match="not finished"):
        retry_run(world.ledger, world.deps.jobs, world.deps.status, run.run_id)


def test_a_trial_of_5_labels_the_first_5_and_later_runs_log_an_estimate(world: World) -> None:
    trial = world.click_run("trial", sample=5, job_size=2)
    world.work()
    world.relay_all()
    final = world.ledger.load_final(trial.run_id)
    assert final is not None and final.seconds_per_asset is not None and final.seconds_per_asset > 0
    assert world.notifier.responses[0][0].startswith("Pre-labeled 5 of 5 assets with 5 objects")
    assert [len(a.objects) for a in world.hub.assets] == [0] * 5 + [1] * 5  # listed first: the newest
    assert ("INFO", "5 assets to label; no earlier runs to estimate from.") in world.notifier.logs
    world.click_run("full")
    world.work()
    world.relay_all()
    estimates = [m for _, m in world.notifier.logs if "at the current rate" in m]
    assert len(estimates) == 1 and estimates[0].startswith("5 assets, about ")
    assert estimates[0].endswith("(from 1 earlier runs).")


@pytest.mark.parametrize(
    ("config", "objects", "dropped"),
    [
        ({"min_score": 0.4}, 2, "dropped 10 below min_score"),
        ({"min_score": 0.4, "class_min_score": {"Object": 0.8}}, 1, "dropped 20 below min_score"),
        ({"max_objects": 1}, 1, "dropped 20 over max_objects"),
        ({"min_score": 0.3, "max_objects": 1}, 1, "dropped 10 below min_score, 10 over max_objects"),
    ],
)
def test_the_output_policy_drops_and_counts(config: dict[str, Any], objects: int, dropped: str) -> None:
    world = World(FakeHub(hub_assets(10), PROJECT), model="tests.scored_model")
    run = world.click_run(**config)
    world.work()
    world.relay_all()
    assert all(len(a.objects) == objects for a in world.hub.assets)
    message = world.notifier.responses[0][0]
    assert message.startswith(f"Pre-labeled 10 of 10 assets with {10 * objects} objects")
    assert message.endswith(f"; {dropped}.")
    bins, unscored = RunFigures(world.ledger.list_job_results(run.run_id)).score_bins()
    assert unscored == 0 and bins[9] == 10  # the 0.9 box is always kept


def test_a_retry_takes_a_dead_jobs_assets_over_and_redrive_no_longer_sends_it(world: World) -> None:
    run = world.click_run(job_size=5)
    plan_body = world.sqs.bodies(JOBS)[0]
    run_job(parse_job(plan_body), world.deps)
    dead, alive = world.sqs.bodies(JOBS)[1:]
    world.sqs.queues[JOBS] = [m for m in world.sqs.queues[JOBS] if m.body == alive]
    record_dead_job(dead, world.ledger, world.deps.status)  # what the drain does with a DLQ message
    world.work()
    world.relay_all()
    assert "5 assets failed" in world.notifier.responses[0][0]
    assert len(world.ledger.parked_dead_jobs(run.run_id)) == 1
    retry_run(world.ledger, world.deps.jobs, world.deps.status, run.run_id)
    assert world.ledger.parked_dead_jobs(run.run_id) == []
    world.work()
    world.relay_all()
    final = world.ledger.load_final(run.run_id)
    assert final is not None and final.message.startswith("After retry 1: Pre-labeled 10 of 10 assets")
    assert final.totals is not None and final.totals.assets_failed == 0
    assert all(len(a.objects) == 1 for a in world.hub.assets)


def test_a_retry_click_with_nothing_to_retry_is_answered_as_refused(world: World) -> None:
    with pytest.raises(RunRejected, match="Nothing done: this project has no finished run to retry"):
        world.click("control", action="retry_failed")
    world.click_run()
    world.work()
    world.relay_all()
    with pytest.raises(RunRejected, match="has no failed or unprocessed assets to retry"):
        world.click("control-2", action="retry_failed")
    assert world.ledger.list_retries(world.ledger.recent_run_ids()[0]) == []
