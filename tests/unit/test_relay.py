"""The status relay during a Hub outage, on in-memory fakes: it receives nothing while the socket is
down (receives count toward the status queue's dead-letter limit), and once the socket is up it
answers, exactly once, the runs the ledger shows done, whose final status event may be gone."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from handler.contract.messages import JobCounts
from handler.contract.records import FinalRecord, JobResult, RunPlan, RunRecord
from listener.polling import keep_polling
from listener.relay import RunRegistry, StatusRelay
from tests.records import run_record

pytestmark = pytest.mark.unit


@dataclass
class FakeLedger:
    plans: dict[str, RunPlan] = field(default_factory=dict)
    results: dict[str, list[JobResult]] = field(default_factory=dict)
    finals: dict[str, FinalRecord] = field(default_factory=dict)
    reads: int = 0

    def add(self, run_id: str, jobs: int, done: int) -> None:
        self.plans[run_id] = RunPlan(total_assets=2 * jobs, total_jobs=jobs)
        counts = JobCounts(assets_labeled=2, objects_created=2)
        self.results[run_id] = [JobResult(job_id=f"{n:06d}", counts=counts) for n in range(done)]

    def open_runs(self) -> list[tuple[str, bool]]:
        self.reads += 1
        return [(run_id, True) for run_id in self.plans if run_id not in self.finals]

    def unanswered_runs(self) -> list[str]:
        return [run_id for run_id, final in self.finals.items() if not final.responded]

    def load_run(self, run_id: str) -> RunRecord:
        return run_record(run_id)

    def load_plan(self, run_id: str) -> RunPlan | None:
        return self.plans.get(run_id)

    def list_job_results(self, run_id: str) -> list[JobResult]:
        return list(self.results.get(run_id, []))

    def finish_run(self, run_id: str, final: FinalRecord) -> bool:
        return self.finals.setdefault(run_id, final) is final

    def load_final(self, run_id: str) -> FinalRecord | None:
        return self.finals.get(run_id)

    def mark_responded(self, run_id: str, final: FinalRecord) -> None:
        self.finals[run_id] = final.model_copy(update={"responded": True})

    def clear_active(self, project_id: str, run_id: str) -> None:
        pass


@dataclass
class FakeNotifier:
    connected: bool = False
    responses: list[tuple[str, str]] = field(default_factory=list)

    def log(self, run: RunRecord, level: str, message: str) -> None:
        pass

    def respond(self, run: RunRecord, message: str, error: bool = False) -> threading.Event:
        self.responses.append((run.run_id, message))
        sent = threading.Event()
        sent.set()
        return sent


class NoQueue:
    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("received while the socket was down")


def relay_on(ledger: FakeLedger, notifier: FakeNotifier) -> StatusRelay:
    return StatusRelay(NoQueue(), "status-url", RunRegistry(ledger), ledger, notifier)  # type: ignore[arg-type]


def test_nothing_is_received_while_the_socket_is_down() -> None:
    ledger, notifier = FakeLedger(), FakeNotifier(connected=False)
    relay, stop = relay_on(ledger, notifier), threading.Event()
    threading.Timer(0.3, stop.set).start()
    relay.run(stop)  # NoQueue fails the test on any receive
    assert ledger.reads == 0


def test_once_up_done_runs_are_answered_once_and_recorded_finals_sent_as_recorded() -> None:
    ledger, notifier = FakeLedger(), FakeNotifier(connected=False)
    ledger.add("done", jobs=2, done=2)  # its final status event was dead-lettered
    ledger.add("going", jobs=3, done=1)
    ledger.add("recorded", jobs=1, done=1)
    ledger.finals["recorded"] = FinalRecord(message="as composed before the outage", error=False)
    relay = relay_on(ledger, notifier)

    assert relay._ready() is False
    notifier.connected = True
    assert relay._ready() is True and notifier.responses == []  # the waiting events go first
    relay._sweep()  # then, once a poll finds the queue empty, the ledger is looked through

    responses = dict(notifier.responses)
    assert len(notifier.responses) == 2 and set(responses) == {"done", "recorded"}
    assert responses["done"].startswith("Pre-labeled 4 of 4 assets with 4 objects in ")
    assert responses["recorded"] == "as composed before the outage"
    assert ledger.finals["done"].responded and ledger.finals["recorded"].responded
    assert "going" not in ledger.finals

    assert relay.answer_done_runs() == 0  # answered means answered: nothing is sent twice
    assert len(notifier.responses) == 2


def test_keep_polling_asks_before_every_poll() -> None:
    stop, asked = threading.Event(), []

    def ready() -> bool:
        asked.append(1)
        if len(asked) == 3:
            stop.set()
        return False

    keep_polling(stop, NoQueue(), "url", lambda body: True, "test", ready)
    assert len(asked) == 3
