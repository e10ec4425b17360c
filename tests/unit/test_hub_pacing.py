"""The pacer keeps one key's calls within Hub's documented budget and backs off on 429s."""

from __future__ import annotations

import pytest

from handler.contract.hub_pacing import HubPacer, PacerBook
from handler.contract.retry import HubBusyError, RetryPolicy, TransientError, call_with_retries

pytestmark = pytest.mark.unit


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_no_minute_holds_more_calls_than_the_budget():
    time = FakeTime()
    pacer = HubPacer(100, clock=time.clock, sleep=time.sleep)
    times = []
    for _ in range(400):
        pacer.acquire()
        times.append(time.now)
    busiest = max(sum(1 for t in times if start <= t < start + 60) for start in times)
    assert 95 <= busiest <= 100  # close to the budget, never over it
    assert times[4] == pytest.approx(times[0])  # a short burst leaves at once


def test_a_429_halves_the_rate_and_pushes_later_calls_back():
    time = FakeTime()
    pacer = HubPacer(245, clock=time.clock, sleep=time.sleep)  # a steady 4 a second
    pause = pacer.throttled(retry_after=None)
    assert pacer.rate == pytest.approx(2.0) and pause == pytest.approx(0.5)
    waited = pacer.acquire()
    assert waited == pytest.approx(0.5)
    assert pacer.throttled(retry_after=7.0) == 7.0  # Hub's Retry-After wins when it sends one
    for _ in range(100):
        pacer.succeeded()
    assert pacer.rate == pytest.approx(4.0)  # back to the budget, never above it


def test_a_book_shares_one_pacer_per_key_and_host():
    book = PacerBook(100)
    assert book.for_key("h", "k1") is book.for_key("h", "k1")
    assert book.for_key("h", "k1") is not book.for_key("h", "k2")
    assert book.for_key("h", "k1") is not book.for_key("other", "k1")


def test_throttled_calls_cost_no_attempt_until_the_patience_runs_out():
    time = FakeTime()
    answers = ["429"] * 20 + ["ok"]

    def call() -> str:
        answer = answers.pop(0)
        if answer == "429":
            time.now += 1
            raise TransientError("HTTP 429", maybe_applied=False, throttled=True)
        return answer

    policy = RetryPolicy(attempts=2, throttle_patience=60)
    assert call_with_retries(call, "x", policy, sleep=time.sleep, clock=time.clock) == "ok"

    answers[:] = ["429"] * 1000
    with pytest.raises(HubBusyError):
        call_with_retries(call, "x", policy, sleep=time.sleep, clock=time.clock)
    assert len(answers) == 1000 - 60  # gave up once 60 s of 429s had passed
