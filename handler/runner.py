"""`run_job`: the one function that does one job, whichever entry point delivered it."""

from __future__ import annotations

import logging
import threading

from handler.contract import telemetry
from handler.contract.logs import log_context
from handler.contract.messages import InferJob, PlanJob
from handler.contract.records import RunRecord
from handler.contract.retry import HubBusyError
from handler.deps import Deps
from handler.inference.job import JobContinues, infer_job
from handler.planning.planner import plan_run

logger = logging.getLogger(__name__)
HUB_BUSY_DELAY_SECONDS = 60


class UnknownRunError(Exception):
    """The job names a run the ledger does not hold: nothing can be done with it."""


def run_job(job: PlanJob | InferJob, deps: Deps, cancelled: threading.Event | None = None) -> None:
    """Do one job. `cancelled` is set by a worker that released the job to the queue: the job then
    stops before its next import, since another worker will do that part. Every line it logs
    carries its run and job ids; its metrics leave in one EMF line when it ends."""
    job_id = job.job_id if isinstance(job, InferJob) else "plan"
    with log_context(run_id=job.run_id, job_id=job_id):
        try:
            _run(job, deps, cancelled)
        finally:
            telemetry.flush()  # per job: a container worker has no Lambda return to flush at


def _run(job: PlanJob | InferJob, deps: Deps, cancelled: threading.Event | None) -> None:
    run = deps.ledger.load_run(job.run_id)
    if run is None:
        raise UnknownRunError(f"no run {job.run_id} in the ledger")
    logger.info("job %s: start", job.idempotency_key)
    try:
        with telemetry.timed("JobDuration"):
            if isinstance(job, PlanJob):
                _plan(job, run, deps)
            else:
                _infer(job, run, deps, cancelled)
    except HubBusyError as exc:
        # Hub's rate limit is a budget, not a failure: the job goes back as a fresh message, so
        # the wait never counts toward its dead-letter limit. Ledger and journal make it resume.
        logger.warning("job %s: %s; queued again in %d s", job.idempotency_key, exc, HUB_BUSY_DELAY_SECONDS)
        deps.jobs.send(job, delay_seconds=HUB_BUSY_DELAY_SECONDS)
        return
    except JobContinues as exc:
        # Sent before this message is deleted: a crash in between leaves two copies, and the second
        # finds the video's progress already taken on (the journal and ledger make it resume).
        logger.info("%s", exc)
        deps.jobs.send(job)
        return
    logger.info("job %s: done", job.idempotency_key)


def _plan(job: PlanJob, run: RunRecord, deps: Deps) -> None:
    plan = plan_run(job, run, deps)
    if plan is not None:  # counted by the attempt that finished the plan, not by a redelivery
        telemetry.count("AssetsSkipped", sum(plan.skipped.values()))
        telemetry.count("AssetsFailed", plan.failed)


def _infer(job: InferJob, run: RunRecord, deps: Deps, cancelled: threading.Event | None) -> None:
    result = infer_job(job, run, deps, cancelled)
    if result is not None:  # likewise: only the attempt that recorded the result counts its assets
        telemetry.count("AssetsPrelabeled", result.counts.assets_labeled)
        telemetry.count("AssetsFailed", result.counts.assets_failed)
