"""The container worker: long-polls the job queue and runs jobs, for GPU or long work on ECS,
AWS Batch or any box. Same `run_job` as the Lambda entry; only delivery and acknowledgement differ.

- `--concurrency N` jobs at once (threads: downloads and imports overlap the model).
- Each received job is held on a short lease (`--lease`, default 20 s, set on the receive itself,
  whatever the queue's own visibility timeout), renewed at half of it while the job runs: a job
  whose worker was killed is back on the queue within the lease.
- While jobs run, a free job slot long-polls until the next renewal is due, and then every running
  job's lease is renewed in one call (SQS calls follow the leases, not the clock).
- Finished jobs are acknowledged in batches of up to 10 (one DeleteMessageBatch), at most a poll
  after they finish.
- SIGTERM: stop receiving, give running jobs a grace period, then release the rest, and tell them
  to stop before their next import. A released job goes back as a fresh message (and the old one
  is deleted), so another worker takes it at once and a deploy or scale-in never walks a healthy
  job toward the dead-letter queue, as a receive count grown by releases would.
- `--burst`: drain the queue and exit, which makes the worker testable without threads to stop.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from handler.contract.messages import parse_job
from handler.contract.queues import (
    DEFAULT_LEASE_SECONDS,
    SQS_BATCH,
    delete_messages,
    receive,
    set_visibility,
)
from handler.deps import Deps
from handler.runner import run_job
from handler.task_protection import TaskProtection

logger = logging.getLogger(__name__)
ACK_DELAY_SECONDS = 1.0  # how long a finished job may wait for others to share its delete call
MIN_POLL_SECONDS = 1  # SQS counts long polls in whole seconds; a renewal may come this much late


@dataclass
class WorkerSummary:
    complete: int = 0
    failed: int = 0
    released: int = 0

    def line(self) -> str:
        return f"{self.complete} complete · {self.failed} failed · {self.released} released"


@dataclass
class _InFlight:
    receipt: str
    body: str
    future: Future[None]
    cancelled: threading.Event
    extended_at: float = field(default_factory=time.monotonic)


class Worker:
    def __init__(
        self,
        deps: Deps,
        sqs: Any,
        concurrency: int = 1,
        grace_seconds: float = 60.0,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self._deps, self._sqs, self._url = deps, sqs, deps.jobs.url
        self._concurrency, self._grace = concurrency, grace_seconds
        self._stop = threading.Event()
        self._stopped_at: float | None = None
        self._inflight: dict[str, _InFlight] = {}
        self._to_delete: list[str] = []
        self._oldest_unacked: float | None = None
        self.released_running = 0  # released jobs whose threads were still running at exit
        self.summary = WorkerSummary()
        self._visibility = lease_seconds
        # An idle long poll never outlasts a quarter of the grace, so SIGTERM is honoured within it.
        self._idle_wait = int(min(20, max(1, grace_seconds / 4)))
        self._protection = TaskProtection.from_environment()  # ECS scale-in spares a busy worker

    def stop(self) -> None:
        """Ask the worker to stop taking jobs (called from the SIGTERM handler); it exits within
        the grace, counted from now."""
        self._stopped_at = self._stopped_at or time.monotonic()
        self._stop.set()

    def run(self, burst: bool = False) -> WorkerSummary:
        pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="job")
        while not self._stop.is_set():
            self._reap()
            self._keep_hidden()
            self._protection.hold(bool(self._inflight))
            free = self._concurrency - len(self._inflight)
            if free <= 0:
                self._stop.wait(0.05)
                continue
            messages = self._receive(min(free, SQS_BATCH), wait=self._poll_wait(burst))
            for message in messages:
                self._start(pool, message)
            if burst and not messages and not self._inflight:
                break
        self._shutdown()
        # Jobs still running past the grace were released above; don't wait for them here.
        pool.shutdown(wait=False, cancel_futures=True)
        logger.info("worker stopped: %s", self.summary.line())
        return self.summary

    def _poll_wait(self, burst: bool) -> int:
        """Long polls save calls, but while jobs run the loop must come back to renew their leases
        (due at half of one) and to acknowledge finished ones; a burst worker wants to see an empty
        queue quickly."""
        if burst or self._to_delete:
            return MIN_POLL_SECONDS
        if self._inflight:
            until_due = self._renewal_due_at() - time.monotonic()
            return max(MIN_POLL_SECONDS, min(math.ceil(until_due), self._idle_wait))
        return self._idle_wait

    def _renewal_due_at(self) -> float:
        """When the first running job's lease is half spent (jobs with none running: never)."""
        renewed = min((entry.extended_at for entry in self._inflight.values()), default=math.inf)
        return renewed + self._visibility / 2

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        return receive(self._sqs, self._url, count, wait, visibility=self._visibility)

    def _start(self, pool: ThreadPoolExecutor, message: dict[str, Any]) -> None:
        cancelled = threading.Event()
        future = pool.submit(self._run_one, message["Body"], cancelled)
        self._inflight[message["MessageId"]] = _InFlight(
            message["ReceiptHandle"], message["Body"], future, cancelled
        )

    def _run_one(self, body: str, cancelled: threading.Event) -> None:
        try:
            job = parse_job(body)
        except ValidationError:
            logger.error("malformed job message; leaving it for the dead-letter queue")
            raise
        run_job(job, self._deps, cancelled)

    def _reap(self, flush: bool = False) -> None:
        for message_id, entry in list(self._inflight.items()):
            if not entry.future.done():
                continue
            del self._inflight[message_id]
            if entry.future.exception() is None:
                self._to_delete.append(entry.receipt)
                self._oldest_unacked = self._oldest_unacked or time.monotonic()
                self.summary.complete += 1
            else:
                # Left to reappear after its visibility timeout; after maxReceiveCount, the DLQ.
                logger.error("job message %s failed: %r", message_id, entry.future.exception())
                self.summary.failed += 1
        due = (
            self._oldest_unacked is not None and time.monotonic() - self._oldest_unacked >= ACK_DELAY_SECONDS
        )
        if self._to_delete and (flush or due or len(self._to_delete) >= SQS_BATCH):
            self._acknowledge()

    def _acknowledge(self) -> None:
        receipts, self._to_delete, self._oldest_unacked = self._to_delete, [], None
        for failure in delete_messages(self._sqs, self._url, receipts):
            # The job is done and recorded; a redelivery finds its result and only re-sends status.
            logger.warning("could not delete a finished job's message: %s", failure.get("Code"))

    def _keep_hidden(self) -> None:
        """Once any running job's lease is half spent, renew every running job's in one call: jobs
        renewed together stay due together, instead of a call each at its own time."""
        now = time.monotonic()
        if now < self._renewal_due_at():
            return
        entries = list(self._inflight.values())
        set_visibility(self._sqs, self._url, [entry.receipt for entry in entries], self._visibility)
        for entry in entries:
            entry.extended_at = now

    def _shutdown(self) -> None:
        # What is left of the grace after the poll that was running, less a reserve for the release
        # calls and the exit, so the process is gone within the grace.
        reserve = min(1.0, self._grace / 4)
        deadline = (self._stopped_at or time.monotonic()) + self._grace - reserve
        while self._inflight and time.monotonic() < deadline:
            self._reap()
            self._keep_hidden()
            time.sleep(0.05)
        self._reap(flush=True)
        self._release(list(self._inflight.values()))
        self.released_running = len(self._inflight)
        self._inflight.clear()

    def _release(self, entries: list[_InFlight]) -> None:
        """Hand running jobs back: each as a fresh message (its receive count starts again), the
        received one deleted. A copy that runs while the original still finishes is harmless: the
        ledger and the import journal make the second one only re-send its status."""
        for entry in entries:
            entry.cancelled.set()  # stop before the next import: the copy will do it
        if not entries:
            return
        try:
            self._deps.jobs.send_raw([entry.body for entry in entries])
        except Exception as exc:  # not sent: the lease brings the originals back instead
            logger.warning("could not re-queue released jobs (%s); they return after their lease", exc)
            return
        delete_messages(self._sqs, self._url, [entry.receipt for entry in entries])
        self.summary.released += len(entries)
