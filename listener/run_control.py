"""Steering runs: cancel one (or a project's running ones), retry a finished run's failed and
unprocessed assets, find a project's last finished run. Used by the operator's commands
(listener/run_commands.py) and by control clicks in Hub (listener/acceptance.py). Reads and writes
the ledger and the queues only: no API key is ever decrypted here."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from handler.contract.chunks import job_chunks
from handler.contract.ledger import Ledger
from handler.contract.messages import InferJob, JobCounts, RetryQueued
from handler.contract.queues import MessageQueue
from handler.contract.records import JobResult, RetryRecord, RunRecord
from handler.contract.run_figures import RunFigures
from handler.contract.run_state import is_finished

logger = logging.getLogger(__name__)
LOOK_BACK_RUNS = 200  # how far back in the index a project's last finished run is looked for


class ControlRefused(Exception):
    """The action cannot be done; str(exc) says why, for the operator or the Hub user."""


def cancel_run(ledger: Ledger, run_id: str) -> str:
    """Mark the run cancelled; what happened, in a sentence."""
    if ledger.load_run(run_id) is None:
        raise ControlRefused(f"no run {run_id} in the ledger")
    if is_finished(ledger.run_files(run_id)):
        raise ControlRefused(f"run {run_id} is answered already; nothing to cancel")
    if not ledger.mark_cancelled(run_id):
        return f"run {run_id} was cancelled before"
    logger.info("run %s: cancelled", run_id)
    return (
        f"run {run_id} cancelled: jobs stop before their next model batch or import, queued ones "
        "are dropped when received, and the run is answered once every job is accounted for"
    )


def cancel_project_runs(ledger: Ledger, project_id: str) -> list[RunRecord]:
    """Cancel every run on the project that is not answered; the runs cancelled now."""
    cancelled = []
    for run_id in ledger.active_runs(project_id):
        run = ledger.load_run(run_id)
        files = ledger.run_files(run_id)
        if run is not None and not is_finished(files) and ledger.mark_cancelled(run_id):
            logger.info("run %s: cancelled from Hub", run_id)
            cancelled.append(run)
    return cancelled


def last_finished_run(ledger: Ledger, project_id: str) -> RunRecord | None:
    for run_id in ledger.recent_run_ids(LOOK_BACK_RUNS):
        run = ledger.load_run(run_id)
        if run is not None and run.project_id == project_id and ledger.load_final(run_id) is not None:
            return run
    return None


@dataclass(frozen=True)
class Retried:
    round: int
    assets: int
    jobs: int
    resent: bool = False  # an unfinished round's jobs sent again, not a new round

    def sentence(self, run_id: str) -> str:
        if self.resent:
            return (
                f"retry {self.round} of run {run_id} was still going: re-sent its {self.jobs} unfinished jobs"
            )
        return f"retry {self.round} of run {run_id}: {self.assets} assets queued again in {self.jobs} jobs"


def retry_run(ledger: Ledger, jobs: MessageQueue, status: MessageQueue | None, run_id: str) -> Retried:
    """Queue the failed and unprocessed assets of a finished run again, under its id, as jobs
    `r<round>-<n>` that no plan job can have; exactly once per round (the round's record is
    written only if new). A round whose jobs are not all done is re-sent instead (a crash between
    the record and the jobs leaves nothing stuck)."""
    run = ledger.load_run(run_id)
    if run is None:
        raise ControlRefused(f"no run {run_id} in the ledger")
    if ledger.load_final(run_id) is None:
        raise ControlRefused(f"run {run_id} is not finished; wait for it, or cancel it first")
    results, retries = ledger.list_job_results(run_id), ledger.list_retries(run_id)
    done = {result.job_id for result in results}
    if retries and not set(retries[-1].jobs) <= done:
        return _resend(run, jobs, retries[-1], results, done)
    figures = RunFigures(results, retries)
    from_results = [result for result in figures.current if result.unfinished]
    if not from_results:
        raise ControlRefused(f"run {run_id} has no failed or unprocessed assets to retry")
    retry = _new_round(run, len(retries) + 1, from_results)
    if not ledger.save_retry(run_id, retry):
        raise ControlRefused(f"another retry of run {run_id} started at the same time")
    ledger.clear_cancelled(run_id)  # a retried cancelled run runs its assets after all
    for result in from_results:  # the retry takes a dead job's assets over: `redrive` must not send it
        if result.dead_lettered:
            ledger.unpark_dead_job(run_id, result.job_id)
    if status is not None:  # first, so that the relay knows the round before its jobs report
        status.send(RetryQueued(run_id=run_id, round=retry.round, assets=retry.assets, jobs=len(retry.jobs)))
    jobs.send_many(_round_jobs(run, retry.round, from_results))
    logger.info("run %s: retry %d queued %d assets", run_id, retry.round, retry.assets)
    return Retried(retry.round, retry.assets, len(retry.jobs))


def _round_jobs(run: RunRecord, round_: int, from_results: list[JobResult]) -> list[InferJob]:
    assets = [asset for result in from_results for asset in result.unfinished]
    return list(job_chunks(run.run_id, f"r{round_}-{{:06d}}", 0, assets, run.config.job_size))


def _new_round(run: RunRecord, round_: int, from_results: list[JobResult]) -> RetryRecord:
    replaces = JobCounts(
        assets_failed=sum(result.counts.assets_failed for result in from_results),
        assets_cancelled=sum(result.counts.assets_cancelled for result in from_results),
    )
    return RetryRecord(
        round=round_,
        jobs=tuple(job.job_id for job in _round_jobs(run, round_, from_results)),
        from_jobs=tuple(result.job_id for result in from_results),
        assets=sum(len(result.unfinished) for result in from_results),
        replaces=replaces,
        requested_at=time.time(),
    )


def _resend(
    run: RunRecord, jobs: MessageQueue, retry: RetryRecord, results: list[JobResult], done: set[str]
) -> Retried:
    from_ids = set(retry.from_jobs)
    from_results = [result for result in results if result.job_id in from_ids]
    missing = [job for job in _round_jobs(run, retry.round, from_results) if job.job_id not in done]
    jobs.send_many(missing)
    return Retried(retry.round, retry.assets, len(missing), resent=True)
