"""A container worker's SQS calls while jobs run follow the lease, not the clock: a free job slot
long-polls until the next renewal is due, and every running job's lease is renewed in one call."""

from __future__ import annotations

import threading
import time
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest

from handler import worker

pytestmark = pytest.mark.unit

LEASE = 4  # renewed every 2 s
JOB_SECONDS = 5.0


class TwoJobsQueue:
    """An SQS client with two job messages, then none; its long polls wait as SQS's do."""

    def __init__(self) -> None:
        self.messages = [{"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": "{}"} for n in (1, 2)]
        self.polls: list[tuple[float, int]] = []  # (when, WaitTimeSeconds)
        self.renewals: list[tuple[float, list[str]]] = []  # (when, receipts)
        self.started = time.monotonic()

    def receive_message(self, MaxNumberOfMessages: int, WaitTimeSeconds: int, **_: Any) -> dict[str, Any]:
        self.polls.append((time.monotonic() - self.started, WaitTimeSeconds))
        taken, self.messages = self.messages[:MaxNumberOfMessages], self.messages[MaxNumberOfMessages:]
        if not taken:
            time.sleep(WaitTimeSeconds)
        return {"Messages": taken}

    def change_message_visibility_batch(self, Entries: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self.renewals.append((time.monotonic() - self.started, [entry["ReceiptHandle"] for entry in Entries]))
        return {"Failed": []}

    def delete_message_batch(self, Entries: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


def test_a_busy_worker_polls_once_a_renewal_and_renews_its_jobs_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "parse_job", lambda body: body)
    running = threading.Semaphore(0)

    def run_job(job: Any, deps: Any, cancelled: Any) -> None:
        running.release()
        time.sleep(JOB_SECONDS)

    monkeypatch.setattr(worker, "run_job", run_job)
    sqs = TwoJobsQueue()
    deps: Any = SimpleNamespace(jobs=SimpleNamespace(url="http://queue"))
    # One slot more than jobs: the worker goes on polling for work while both run.
    the_worker = worker.Worker(deps, sqs, concurrency=3, grace_seconds=40, lease_seconds=LEASE)
    loop = threading.Thread(target=the_worker.run)
    loop.start()
    try:
        assert running.acquire(timeout=5) and running.acquire(timeout=5)
        time.sleep(JOB_SECONDS)  # both run to the end
    finally:
        the_worker.stop()
        loop.join(30)

    while_running = [(at, wait) for at, wait in sqs.polls if 0.5 < at < JOB_SECONDS]
    assert all(wait >= 2 for _, wait in while_running), sqs.polls  # not 1 s polls by the clock
    assert len(while_running) <= 4, sqs.polls  # about one per 2 s renewal, not one a second
    renewed = [(at, receipts) for at, receipts in sqs.renewals if at < JOB_SECONDS]
    assert len(renewed) >= 2, sqs.renewals  # due at 2 and 4 s: both made
    assert all(sorted(receipts) == ["r1", "r2"] for _, receipts in renewed), sqs.renewals
    gaps = [later - earlier for (earlier, _), (later, _) in pairwise(renewed)]
    assert all(gap <= LEASE / 2 + worker.MIN_POLL_SECONDS + 0.5 for gap in gaps), renewed
    assert renewed[0][0] <= LEASE / 2 + worker.MIN_POLL_SECONDS + 0.5, renewed  # never late
