"""Jobs that kept failing: recorded so that their run still completes, and sent back by `redrive`.

A job lands in the dead-letter queue after maxReceiveCount failed attempts (crashes, timeouts, a
bug). `record_dead_job` turns it into a job result in the ledger: assets the import journal shows
imported count as labeled, every other asset as failed with a reason, and the job's status event
goes to the listener like any other, so the run ends with one final message. The job body is parked
in the ledger (it carries no secret), and `redrive` sends parked jobs, and any still in the
dead-letter queue, back to the job queue once the cause is fixed. A redriven job runs again and
imports only what its journal says is not done.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import ValidationError

from handler.contract.ledger import Ledger
from handler.contract.messages import AssetFailure, InferJob, JobCounts, RunFailed, parse_job
from handler.contract.queues import SQS_BATCH, MessageQueue, delete_messages, receive
from handler.contract.records import JobResult

logger = logging.getLogger(__name__)
NOT_PROCESSED = (
    "not processed: its job crashed or timed out on every attempt; an operator can retry it with "
    "`ango-batch redrive`"
)
IN_DOUBT = "its import was interrupted by a crash; it may already carry pre-labels"


def record_dead_job(body: str, ledger: Ledger, status: MessageQueue) -> None:
    """Record one dead-lettered job in the ledger and tell the listener about it."""
    try:
        job = parse_job(body)
    except ValidationError:
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        logger.error("unreadable message in the dead-letter queue; parked as %s", digest)
        ledger.park_dead_job("_unreadable", digest, body)
        return
    if ledger.load_run(job.run_id) is None:
        logger.error("dead job %s names no known run; dropped", job.idempotency_key)
        return
    if not isinstance(job, InferJob):
        ledger.park_dead_job(job.run_id, "plan", body)
        reason = "Listing the project's assets failed repeatedly; nothing was pre-labeled."
        status.send(RunFailed(run_id=job.run_id, reason=reason))
        return
    result = ledger.load_job_result(job.run_id, job.job_id)
    if result is None or result.dead_lettered:
        result = _result_of_dead_job(job, ledger)
        ledger.park_dead_job(job.run_id, job.job_id, body)
        ledger.save_job_result(job.run_id, result)
        logger.warning(
            "job %s dead-lettered: %d assets failed", job.idempotency_key, result.counts.assets_failed
        )
    # Else a late duplicate of a job that did finish: its own result stands; resend its status.
    status.send(result.status_event(job.run_id))


def _result_of_dead_job(job: InferJob, ledger: Ledger) -> JobResult:
    journal, _ = ledger.load_imports(job.run_id, job.job_id)
    labeled = objects = 0
    failures, unfinished = [], []
    for asset in job.assets:
        entry = journal.assets.get(asset.asset_id)
        if entry is not None and entry.done:
            labeled, objects = labeled + 1, objects + entry.objects
        else:
            reason = IN_DOUBT if entry is not None else NOT_PROCESSED
            failures.append(AssetFailure(external_id=asset.external_id, reason=reason))
            unfinished.append(asset)
    counts = JobCounts(assets_labeled=labeled, assets_failed=len(failures), objects_created=objects)
    return JobResult(
        job_id=job.job_id,
        counts=counts,
        failures=tuple(failures),
        dead_lettered=True,
        unfinished=tuple(unfinished),
    )


def redrive(sqs: Any, dlq_url: str, job_queue: MessageQueue, ledger: Ledger) -> tuple[int, int]:
    """Send dead jobs back to the job queue: those still in the dead-letter queue, then those parked
    in the ledger. Returns (from the queue, from the ledger)."""
    from_queue = 0
    while messages := receive(sqs, dlq_url, SQS_BATCH, wait=1):
        job_queue.send_raw([message["Body"] for message in messages])
        delete_messages(sqs, dlq_url, [message["ReceiptHandle"] for message in messages])
        from_queue += len(messages)
    from_ledger = 0
    for key, body in ledger.parked_dead_jobs():
        if "/_unreadable/" in key:
            continue  # not a job any handler can run; kept for a human to look at
        job_queue.send_raw([body])  # sent before the parked copy goes: a crash re-sends, never loses
        ledger.delete(key)
        from_ledger += 1
    return from_queue, from_ledger
