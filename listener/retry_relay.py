"""A retry's status events (`ango-batch retry`, a retry_failed click), for the relay.

The run was answered when it first finished, and Hub's docs say nothing of a second response to a
session, so a retry speaks through log lines only: one when it is queued, the failures of its jobs,
and the run's new summary once the round's last job is in. That summary replaces final.json's
message (once per round: `retry_round`), so `status` and the report show it too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from handler.contract.ledger import Ledger
from handler.contract.messages import JobFinished, RetryQueued
from handler.contract.records import RunRecord
from listener.progress import RunProgress

logger = logging.getLogger(__name__)
Log = Callable[[RunRecord, str, str], None]


def relay_retry(
    progress: RunProgress, event: RetryQueued | JobFinished, ledger: Ledger, log: Log, interval: float
) -> bool:
    """Log what the event says; True once the event's round is over and the run summarised."""
    run = progress.run
    if isinstance(event, RetryQueued):
        progress.retries.update({r.round: r for r in ledger.list_retries(run.run_id)})
        what = f"{event.assets} failed or unprocessed assets queued again in {event.jobs} jobs"
        log(run, "INFO", f"Retry {event.round}: {what}.")
        return False
    for level, message in progress.apply(event, interval):
        log(run, level, message)
    round_ = int(event.job_id[1:].split("-", 1)[0])
    final = ledger.load_final(run.run_id)
    if not progress.retry_done(round_) or final is None or final.retry_round >= round_:
        return False
    message = f"After retry {round_}: {progress.final_message(now=final.finished_at)[0]}"
    update = {"message": message, "retry_round": round_, "totals": progress.totals()}
    ledger.update_final(run.run_id, final.model_copy(update=update))
    log(run, "INFO", message)
    logger.info("run %s: retry %d finished: %s", run.run_id, round_, message)
    return True
