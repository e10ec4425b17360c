"""boto3 clients, built in one place with explicit timeouts, retries and connection pools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,  # above SQS's 20 s long poll
    retries={"mode": "standard", "max_attempts": 5},
    max_pool_connections=32,
)
# The Hub budget store (handler/contract/hub_budget.py) stands before every Hub call: a slow store
# must not slow the calls down, so it gets a second to answer and one retry, then the caller paces
# itself.
_BUDGET_STORE_CONFIG = Config(
    connect_timeout=1,
    read_timeout=1,
    retries={"mode": "standard", "total_max_attempts": 2},
    max_pool_connections=32,
)


@dataclass(frozen=True)
class AwsClients:
    sqs: Any
    s3: Any
    kms: Any


def make_clients(session: boto3.session.Session | None = None) -> AwsClients:
    session = session or boto3.session.Session()
    return AwsClients(
        sqs=session.client("sqs", config=_CONFIG),
        s3=session.client("s3", config=_CONFIG),
        kms=session.client("kms", config=_CONFIG),
    )


def budget_store_client(session: boto3.session.Session | None = None) -> Any:
    """S3, for the shared Hub budget in the ledger's bucket, with the short timeouts above."""
    return (session or boto3.session.Session()).client("s3", config=_BUDGET_STORE_CONFIG)
