"""AWS Lambda entry: an SQS event source delivers jobs; failed records are reported one by one
(ReportBatchItemFailures), so one bad job never makes its batch-mates run again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handler.contract.logs import configure_logging
from handler.contract.messages import parse_job
from handler.contract.settings import Settings
from handler.deps import Deps, build_deps
from handler.runner import run_job

SERVICE = "ango-batch-handler"
# Every product logger (handler.*) as JSON with its ids, at ALC's level. Before Logger(), which
# keeps its own lines off the root handlers that exist when it is created.
configure_logging(SERVICE, "json")
processor = BatchProcessor(event_type=EventType.SQS)
logger = Logger(service=SERVICE)
_deps: Deps | None = None


def _get_deps() -> Deps:
    # Built on the first invocation and kept for the container's life: clients and the model
    # are expensive, and Lambda reuses warm containers.
    global _deps
    if _deps is None:
        _deps = build_deps(Settings())
    return _deps


def record_handler(record: SQSRecord) -> None:
    job = parse_job(record.body)
    logger.append_keys(run_id=job.run_id, job=job.idempotency_key)
    run_job(job, _get_deps())  # which puts the job's ids on every line logged meanwhile


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
