"""Status events back to the user: consume the status queue, log progress, answer once at the end."""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from pydantic import ValidationError

from handler.job import parse_status
from handler.ledger import FinalRecord, Ledger, RunRecord
from listener.polling import keep_polling
from listener.progress import RunProgress

logger = logging.getLogger(__name__)
RESPONSE_WAIT_SECONDS = 10.0


class Notifier(Protocol):
    def log(self, run: RunRecord, level: str, message: str) -> None: ...

    def respond(self, run: RunRecord, message: str) -> threading.Event:
        """Queue the final response; the event is set once it has left through the socket."""
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
        restored.restore(self._ledger.load_plan(run_id), self._ledger.list_job_results(run_id))
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
    ) -> None:
        self._sqs, self._url, self._registry = sqs, queue_url, registry
        self._ledger, self._notifier, self._interval = ledger, notifier, progress_interval
        self._sending: dict[str, threading.Event] = {}  # run id -> its queued final response

    def run(self, stop: threading.Event) -> None:
        keep_polling(stop, self._sqs, self._url, self._handle, "status relay")

    def _handle(self, body: str) -> bool:
        """Apply one status event; True when it may be deleted."""
        try:
            event = parse_status(body)
        except ValidationError:
            logger.error("malformed status message; leaving it for the dead-letter queue")
            return False
        progress = self._registry.get(event.run_id)
        if progress is None:
            logger.error("status for unknown run %s; dropped", event.run_id)
            return True
        for level, message in progress.apply(event, self._interval):
            self._notifier.log(progress.run, level, message)
        return self._finish(progress) if progress.complete else True

    def _finish(self, progress: RunProgress) -> bool:
        """Answer the run once. The final message is recorded first (so a second listener or a
        redelivered event cannot compose a different one), then sent, then marked sent; the status
        message is deleted only after that, so a listener killed in between answers on restart."""
        message, error = progress.final_message()
        run = progress.run
        final = FinalRecord(message=message, error=error)
        if not self._ledger.finish_run(run.run_id, final):
            final = self._ledger.load_final(run.run_id) or final
            if final.responded:
                self._registry.remove(run.run_id)
                return True
        sent = self._sending.get(run.run_id)
        if sent is None:  # queued once per listener life, even if the socket is down for long
            self._notifier.log(run, "ERROR" if final.error else "INFO", final.message)
            sent = self._sending[run.run_id] = self._notifier.respond(run, final.message)
        if not sent.wait(RESPONSE_WAIT_SECONDS):
            logger.warning("run %s: response not sent yet (socket down); will check again", run.run_id)
            return False
        self._ledger.mark_responded(run.run_id, final)
        self._sending.pop(run.run_id, None)
        logger.info("run %s: finished: %s", run.run_id, final.message)
        self._registry.remove(run.run_id)
        return True
