"""Status events back to the user: consume the status queue, log progress, answer once at the end."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Protocol

from pydantic import ValidationError

from handler.contract.ledger import Ledger
from handler.contract.logs import log_context
from handler.contract.messages import (
    AnyStatus,
    JobFinished,
    RetryQueued,
    RunPlanned,
    is_retry_job,
    parse_status,
)
from handler.contract.records import FinalRecord, RunRecord
from handler.contract.run_figures import estimate_line
from listener.polling import keep_polling
from listener.progress import RunProgress
from listener.retry_relay import relay_retry

logger = logging.getLogger(__name__)
RESPONSE_WAIT_SECONDS = 10.0
# How often open runs are checked against the ledger while connected (also on every (re)connect).
SWEEP_SECONDS = 300.0


class Notifier(Protocol):
    @property
    def connected(self) -> bool:
        """Whether what is sent now leaves at once (the plugin socket is up)."""
        ...

    def log(self, run: RunRecord, level: str, message: str) -> None: ...

    def respond(self, run: RunRecord, message: str, error: bool = False) -> threading.Event:
        """Queue the final response (Hub's error form if `error`: the message then went out as an
        ERROR log line just before); the event is set once it has left through the socket."""
        ...


class RunRegistry:
    """Open runs by id; a run unknown here (e.g. after a restart) is restored from the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._runs: dict[str, RunProgress] = {}
        self._lock = threading.Lock()

    def add(self, run: RunRecord) -> None:
        with self._lock:
            self._runs.setdefault(run.run_id, RunProgress(run))

    def get(self, run_id: str) -> RunProgress | None:
        with self._lock:
            progress = self._runs.get(run_id)
        if progress is not None:
            return progress
        run = self._ledger.load_run(run_id)
        if run is None:
            return None
        restored = RunProgress(run)
        results = self._ledger.list_job_results(run_id)
        restored.restore(self._ledger.load_plan(run_id), results, self._ledger.list_retries(run_id))
        with self._lock:
            return self._runs.setdefault(run_id, restored)

    def remove(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)


class StatusRelay:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        registry: RunRegistry,
        ledger: Ledger,
        notifier: Notifier,
        progress_interval: float = 10.0,
        sweep_interval: float = SWEEP_SECONDS,
    ) -> None:
        self._sqs, self._url, self._registry = sqs, queue_url, registry
        self._ledger, self._notifier, self._interval = ledger, notifier, progress_interval
        self._sending: dict[str, threading.Event] = {}  # run id -> its queued final response
        self._sweep_interval, self._swept_at = sweep_interval, time.monotonic()
        self._reconnected = True  # the socket came up since the last full sweep (or never was up)
        self._last_event: dict[str, float] = {}  # run id -> when its last status event came

    def run(self, stop: threading.Event) -> None:
        keep_polling(stop, self._sqs, self._url, self._handle, "status relay", self._ready, self._sweep)

    def _ready(self) -> bool:
        """Receive only while the socket is up: an event received while nothing can leave is not
        deleted, and every receive walks it toward the status dead-letter queue, so a long Hub
        outage would dead-letter final events."""
        if not self._notifier.connected:
            self._reconnected = True
            return False
        if time.monotonic() - self._swept_at >= 2 * self._sweep_interval:
            self._sweep()  # a queue that is never empty still gets its sweep, if late
        return True

    def _sweep(self) -> None:
        """Once back up (and every few minutes), after the queue was found empty, runs done in the
        ledger are answered: their final event may be gone (dead-lettered during an outage). Only
        once the queue is empty, so a run whose events are still waiting gets its log lines."""
        if self._reconnected or time.monotonic() - self._swept_at >= self._sweep_interval:
            self.answer_done_runs(everything=self._reconnected)
            self._reconnected, self._swept_at = False, time.monotonic()

    def answer_done_runs(self, everything: bool = True) -> int:
        """Answer, through `_finish` (so exactly once), every open run whose jobs are all done in
        the ledger, and every run whose final message was recorded but never sent; how many were.
        Runs with a status event in the last sweep interval are left to it, unless `everything`."""
        quiet_since = math.inf if everything else time.monotonic() - self._sweep_interval
        answered = 0
        for run_id, queued in self._ledger.open_runs():
            if queued and self._last_event.get(run_id, -math.inf) <= quiet_since:
                with log_context(run_id=run_id):
                    progress = self._done_in_ledger(run_id)
                    if progress is not None and self._finish(progress):
                        answered += 1
        for run_id in self._ledger.unanswered_runs() if everything else ():
            with log_context(run_id=run_id):
                run, final = self._ledger.load_run(run_id), self._ledger.load_final(run_id)
                if run is not None and final is not None and self._send_final(run, final):
                    answered += 1
        if answered:
            logger.info("answered %d runs done in the ledger", answered)
        return answered

    def _done_in_ledger(self, run_id: str) -> RunProgress | None:
        """The run's progress as the ledger has it, if every job of it is done."""
        plan = self._ledger.load_plan(run_id)
        if plan is None:
            return None
        results = self._ledger.list_job_results(run_id)
        run = self._ledger.load_run(run_id)
        if run is None or len({result.job_id for result in results}) < plan.total_jobs:
            return None
        progress = RunProgress(run)
        progress.restore(plan, results)
        return progress if progress.complete else None

    def _handle(self, body: str) -> bool:
        """Apply one status event; True when it may be deleted."""
        try:
            event = parse_status(body)
        except ValidationError:
            logger.error("malformed status message; leaving it for the dead-letter queue")
            return False
        self._last_event[event.run_id] = time.monotonic()
        with log_context(run_id=event.run_id, job_id=getattr(event, "job_id", None)):
            return self._apply(event)

    def _apply(self, event: AnyStatus) -> bool:
        progress = self._registry.get(event.run_id)
        if progress is None:
            logger.error("status for unknown run %s; dropped", event.run_id)
            return True
        if isinstance(event, RetryQueued) or (isinstance(event, JobFinished) and is_retry_job(event.job_id)):
            if relay_retry(progress, event, self._ledger, self._notifier.log, self._interval):
                self._registry.remove(event.run_id)  # the round is over: nothing to keep in memory
            return True
        for level, message in progress.apply(event, self._interval):
            self._notifier.log(progress.run, level, message)
        if isinstance(event, RunPlanned) and not progress.complete:
            self._notifier.log(progress.run, "INFO", estimate_line(self._ledger, progress.run, event))
        return self._finish(progress) if progress.complete else True

    def _finish(self, progress: RunProgress) -> bool:
        """Answer the run once. The final message is recorded first (so a second listener or a
        redelivered event cannot compose a different one), then sent, then marked sent; the status
        message is deleted only after that, so a listener killed in between answers on restart."""
        message, error = progress.final_message()
        run = progress.run
        totals = progress.totals() if progress.plan is not None else None
        final = FinalRecord(
            message=message,
            error=error,
            finished_at=time.time(),
            cancelled=progress.cancelled,
            totals=totals,
            seconds_per_asset=progress.seconds_per_asset(),
        )
        if not self._ledger.finish_run(run.run_id, final):
            final = self._ledger.load_final(run.run_id) or final
        return self._send_final(run, final)

    def _send_final(self, run: RunRecord, final: FinalRecord) -> bool:
        """Send the recorded final message unless it was sent; True once it has left."""
        if final.responded:
            self._forget(run.run_id)
            return True
        sent = self._sending.get(run.run_id)
        if sent is None:  # queued once per listener life, even if the socket is down for long
            self._notifier.log(run, "ERROR" if final.error else "INFO", final.message)
            sent = self._sending[run.run_id] = self._notifier.respond(run, final.message, final.error)
        if not sent.wait(RESPONSE_WAIT_SECONDS):
            logger.warning("run %s: response not sent yet (socket down); will check again", run.run_id)
            return False
        self._ledger.mark_responded(run.run_id, final)
        self._ledger.clear_active(run.project_id, run.run_id)  # a later run may skip what this one labeled
        logger.info("run %s: finished: %s", run.run_id, final.message)
        self._forget(run.run_id)
        return True

    def _forget(self, run_id: str) -> None:
        self._sending.pop(run_id, None)
        self._last_event.pop(run_id, None)
        self._registry.remove(run_id)
