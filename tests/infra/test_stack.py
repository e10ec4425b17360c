"""The production template deployed to LocalStack: outputs, queues, redrive, bucket encryption."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.stack import StackError, StackOutputs, delete_stack, deploy_stack, read_stack_outputs

pytestmark = pytest.mark.integration

# The local stack has container workers (ComputeMode=none): the job queue's visibility is
# WorkerVisibilitySeconds (30, its minimum); 3 receives before the DLQ.
PARAMETERS = {"WorkerVisibilitySeconds": "30", "MaxReceiveCount": "3"}
WAIT = 5  # seconds a receive may wait; the queues' own default (20 s) would slow the tests


@pytest.fixture(scope="module")
def stack(localstack: str) -> Iterator[tuple[str, StackOutputs]]:
    name = f"ango-batch-test-{uuid.uuid4().hex[:8]}"
    try:
        yield name, deploy_stack(name, PARAMETERS, endpoint_url=localstack, timeout=120)
    finally:
        _empty_bucket(name, localstack)
        delete_stack(name, endpoint_url=localstack, timeout=120)


def _empty_bucket(stack_name: str, endpoint: str) -> None:
    # The test writes to the ledger; a bucket must be empty before CloudFormation can delete it.
    try:
        bucket = read_stack_outputs(stack_name, endpoint).ledger_bucket
    except (StackError, ClientError):
        return  # the stack was never created
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])


def _receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    response = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=WAIT, AttributeNames=["All"]
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def test_outputs_name_every_resource(stack: tuple[str, StackOutputs], localstack: str) -> None:
    name, outputs = stack
    assert read_stack_outputs(name, localstack) == outputs
    assert outputs.job_queue_arn.startswith("arn:aws:sqs:us-east-1:")
    assert outputs.kms_key_arn.startswith("arn:aws:kms:us-east-1:")
    urls = (outputs.job_queue_url, outputs.job_dlq_url, outputs.status_queue_url, outputs.status_dlq_url)
    assert all(url.startswith(localstack) for url in urls), urls
    assert len(set(urls)) == 4


def test_second_deploy_without_changes_returns_the_same_outputs(
    stack: tuple[str, StackOutputs], localstack: str
) -> None:
    name, outputs = stack
    assert deploy_stack(name, PARAMETERS, endpoint_url=localstack, timeout=60) == outputs


def test_job_queue_settings_follow_the_parameters(stack: tuple[str, StackOutputs]) -> None:
    _, outputs = stack
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=outputs.job_queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    assert '"maxReceiveCount": 3' in attributes["RedrivePolicy"].replace("'", '"')
    assert outputs.kms_key_arn.endswith(attributes["KmsMasterKeyId"])


def test_job_queue_round_trip(stack: tuple[str, StackOutputs]) -> None:
    _, outputs = stack
    sqs = boto3.client("sqs")
    body = f'{{"job": "{uuid.uuid4()}"}}'
    sqs.send_message(QueueUrl=outputs.job_queue_url, MessageBody=body)
    (message,) = _receive(sqs, outputs.job_queue_url)
    assert message["Body"] == body
    sqs.delete_message(QueueUrl=outputs.job_queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_poison_job_ends_in_the_dead_letter_queue(stack: tuple[str, StackOutputs]) -> None:
    _, outputs = stack
    sqs = boto3.client("sqs")
    body = f'{{"poison": "{uuid.uuid4()}"}}'
    sqs.send_message(QueueUrl=outputs.job_queue_url, MessageBody=body)
    for attempt in range(1, 4):
        (message,) = _receive(sqs, outputs.job_queue_url)
        assert message["Body"] == body
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        # A failing handler gives the job back; visibility 0 stands in for waiting out the 30 s.
        sqs.change_message_visibility(
            QueueUrl=outputs.job_queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    assert _receive(sqs, outputs.job_queue_url) == []
    (dead,) = _receive(sqs, outputs.job_dlq_url)
    assert dead["Body"] == body


def test_ledger_bucket_encrypts_with_the_stack_key(stack: tuple[str, StackOutputs]) -> None:
    _, outputs = stack
    s3 = boto3.client("s3")
    (rule,) = s3.get_bucket_encryption(Bucket=outputs.ledger_bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == outputs.kms_key_arn
    s3.put_object(Bucket=outputs.ledger_bucket, Key="runs/test/run.json", Body=b"{}")
    head = s3.head_object(Bucket=outputs.ledger_bucket, Key="runs/test/run.json")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_template_over_the_inline_limit_deploys_from_s3(
    localstack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFormation takes at most 51,200 bytes inline; a bigger template goes up to S3 first."""
    import infra.stack

    monkeypatch.setattr(infra.stack, "INLINE_TEMPLATE_LIMIT", 1_000)
    name = f"ango-batch-s3-{uuid.uuid4().hex[:8]}"
    try:
        outputs = deploy_stack(name, PARAMETERS, endpoint_url=localstack, timeout=120)
        assert outputs.job_queue_url and outputs.ledger_bucket
    finally:
        _empty_bucket(name, localstack)
        delete_stack(name, endpoint_url=localstack, timeout=120)
