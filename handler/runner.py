"""`run_job`: the one function that does one job, whichever entry point delivered it."""

from __future__ import annotations

import logging
import threading

from handler.deps import Deps
from handler.inference import infer_job
from handler.job import InferJob, PlanJob
from handler.planner import plan_run

logger = logging.getLogger(__name__)


class UnknownRunError(Exception):
    """The job names a run the ledger does not hold: nothing can be done with it."""


def run_job(job: PlanJob | InferJob, deps: Deps, cancelled: threading.Event | None = None) -> None:
    """Do one job. `cancelled` is set by a worker that released the job to the queue: the job then
    stops before its next import, since another worker will do that part."""
    run = deps.ledger.load_run(job.run_id)
    if run is None:
        raise UnknownRunError(f"no run {job.run_id} in the ledger")
    logger.info("job %s: start", job.idempotency_key)
    if isinstance(job, PlanJob):
        plan_run(job, run, deps)
    else:
        infer_job(job, run, deps, cancelled)
    logger.info("job %s: done", job.idempotency_key)
