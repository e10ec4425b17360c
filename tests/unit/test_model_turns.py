"""Jobs take turns at a process's one model lowest place in their run first (least attained
service), ties in arrival order, and the job that just had a turn keeps it for a moment against other
runs' jobs behind it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from handler.inference.model_turns import ModelTurns, job_place

pytestmark = pytest.mark.unit


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Jobs:
    """Threads that each take one turn at `turns` and write down their name when they get it."""

    def __init__(self, turns: ModelTurns) -> None:
        self.turns, self.served, self.threads = turns, list[str](), list[threading.Thread]()

    def start(self, name: str, place: int) -> None:  # each job a run of its own
        waiting = self.turns.waiting
        thread = threading.Thread(target=self._take, args=(name, place))
        thread.start()
        self.threads.append(thread)
        wait_until(lambda: self.turns.waiting == waiting + 1)  # queued before the next one comes

    def _take(self, name: str, place: int) -> None:
        with self.turns.take(name, place):
            self.served.append(name)

    def join(self) -> list[str]:
        for thread in self.threads:
            thread.join(5)
        return self.served


def test_the_job_with_the_lowest_place_in_its_run_goes_first() -> None:
    jobs = Jobs(ModelTurns(hold_seconds=0.0))
    with jobs.turns.take("big", 50):  # these queue while the big run's job 50 has the model
        for name, place in [("big-51", 51), ("small-0", 0), ("big-52", 52), ("other-7", 7)]:
            jobs.start(name, place)
    assert jobs.join() == ["small-0", "other-7", "big-51", "big-52"]


def test_jobs_at_the_same_place_go_in_arrival_order() -> None:
    jobs = Jobs(ModelTurns(hold_seconds=0.0))
    with jobs.turns.take("first", 3):
        for name in ["a", "b", "c"]:
            jobs.start(name, 3)
    assert jobs.join() == ["a", "b", "c"]


def test_the_job_that_had_the_turn_gets_it_back_before_another_runs_job_behind_it() -> None:
    turns, order = ModelTurns(hold_seconds=1.0), list[str]()
    with turns.take("small", 0):
        order.append("small, batch 1")
        waiter = threading.Thread(target=lambda: _take_and_note(turns, "big", 40, order))
        waiter.start()
        wait_until(lambda: turns.waiting == 1)
    time.sleep(0.02)  # building the batch's labels, the next batch already downloaded
    with turns.take("small", 0):
        order.append("small, batch 2")
    waiter.join(5)
    assert order == ["small, batch 1", "small, batch 2", "big 40"]


def test_the_turn_is_kept_no_longer_than_the_hold_when_the_job_does_not_come_back() -> None:
    order, waited = handed_over(ModelTurns(hold_seconds=0.2), ("small", 0), ("big", 40))
    assert order == ["big 40"]
    assert 0.15 < waited < 2.0


def test_a_job_ahead_is_not_held_back_by_the_job_that_had_the_turn() -> None:
    order, waited = handed_over(ModelTurns(hold_seconds=5.0), ("big", 40), ("small", 0))
    assert order == ["small 0"]
    assert waited < 1.0  # not the 5 s hold


def test_a_job_of_the_same_run_is_not_held_back() -> None:
    """One run's jobs serve one user: idling the model between them would only cost time."""
    order, waited = handed_over(ModelTurns(hold_seconds=5.0), ("run", 3), ("run", 4))
    assert order == ["run 4"]
    assert waited < 1.0  # not the 5 s hold


def handed_over(
    turns: ModelTurns, holder: tuple[str, int], waiter: tuple[str, int]
) -> tuple[list[str], float]:
    """`holder` (run, place) has a turn while `waiter` queues for one, and does not come back: who
    got the next turn, and how long after the holder's turn ended."""
    order = list[str]()
    with turns.take(*holder):
        thread = threading.Thread(target=lambda: _take_and_note(turns, *waiter, order))
        thread.start()
        wait_until(lambda: turns.waiting == 1)
        released = time.monotonic()
    thread.join(5)
    return order, time.monotonic() - released


def test_a_job_place_is_the_number_its_id_ends_with() -> None:
    assert job_place("000000") == 0
    assert job_place("000123") == 123
    assert job_place("r2-000004") == 4
    assert job_place("job") == 0


def _take_and_note(turns: ModelTurns, run_id: str, place: int, order: list[str]) -> None:
    with turns.take(run_id, place):
        order.append(f"{run_id} {place}")
