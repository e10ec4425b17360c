"""A deployed stack's outputs, and settings filled from them where the environment leaves gaps.

`ango-batch listen`, `work` and `redrive` need the queues, the bucket and the key; a user who
deployed the stack need not copy them: `ANGO_BATCH_STACK_NAME` (default `ango-batch-local`) names
the stack to read them from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from handler.contract.settings import Settings

DEFAULT_STACK_NAME = "ango-batch-local"

# Stack output name -> StackOutputs field; the template's Outputs carry exactly these names.
OUTPUT_FIELDS: Mapping[str, str] = {
    "JobQueueUrl": "job_queue_url",
    "JobQueueArn": "job_queue_arn",
    "JobDeadLetterQueueUrl": "job_dlq_url",
    "StatusQueueUrl": "status_queue_url",
    "StatusDeadLetterQueueUrl": "status_dlq_url",
    "LedgerBucketName": "ledger_bucket",
    "KmsKeyArn": "kms_key_arn",
}


class StackError(RuntimeError):
    """The stack is missing, or its outputs are not what the adapter needs."""


@dataclass(frozen=True)
class StackOutputs:
    """What the CLI, the listener and the handlers need to know about a deployed stack."""

    job_queue_url: str
    job_queue_arn: str
    job_dlq_url: str
    status_queue_url: str
    status_dlq_url: str
    ledger_bucket: str
    kms_key_arn: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str]) -> StackOutputs:
        missing = sorted(set(OUTPUT_FIELDS) - set(outputs))
        if missing:
            raise StackError(f"stack outputs lack {', '.join(missing)}")
        return cls(**{name: outputs[key] for key, name in OUTPUT_FIELDS.items()})


def read_stack_outputs(stack_name: str = DEFAULT_STACK_NAME, cloudformation: Any = None) -> StackOutputs:
    """The outputs of a deployed stack (boto3 honours AWS_ENDPOINT_URL, e.g. for LocalStack)."""
    cfn = cloudformation or boto3.client("cloudformation")
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
        stacks = []
    if not stacks:
        raise StackError(f"stack {stack_name} does not exist; deploy it first (locally: `ango-batch up`)")
    outputs = {o.get("OutputKey", ""): o.get("OutputValue", "") for o in stacks[0].get("Outputs", [])}
    return StackOutputs.from_outputs(outputs)


def resolve_settings() -> Settings:
    """Settings from the environment; queue URLs, the bucket and the key from the stack when unset."""
    settings = Settings()
    if not settings.missing_aws_resources():  # the DLQ is optional: without it nothing is drained
        return settings
    outputs = read_stack_outputs(os.environ.get("ANGO_BATCH_STACK_NAME", DEFAULT_STACK_NAME))
    return settings.model_copy(
        update={
            "job_queue_url": settings.job_queue_url or outputs.job_queue_url,
            "status_queue_url": settings.status_queue_url or outputs.status_queue_url,
            "job_dlq_url": settings.job_dlq_url or outputs.job_dlq_url,
            "ledger_bucket": settings.ledger_bucket or outputs.ledger_bucket,
            "kms_key_id": settings.kms_key_id or outputs.kms_key_arn,
        }
    )
