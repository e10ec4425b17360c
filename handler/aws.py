"""boto3 clients, built in one place with explicit timeouts, retries and connection pools."""

from __future__ import annotations

import threading
from collections import Counter
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


class AwsCallCounter:
    """API calls made per AWS service by this process (retries inside botocore not counted), so a
    worker or listener can say at exit what it cost; the benchmark reads that line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._counts[model.service_model.service_name] += 1

    def line(self) -> str:
        with self._lock:
            counts = dict(self._counts)
        return "aws calls: " + " ".join(f"{name}={counts.get(name, 0)}" for name in ("sqs", "s3", "kms"))


CALLS = AwsCallCounter()


@dataclass(frozen=True)
class AwsClients:
    sqs: Any
    s3: Any
    kms: Any


def make_clients(session: boto3.session.Session | None = None) -> AwsClients:
    session = session or boto3.session.Session()
    clients = AwsClients(
        sqs=session.client("sqs", config=_CONFIG),
        s3=session.client("s3", config=_CONFIG),
        kms=session.client("kms", config=_CONFIG),
    )
    for client in (clients.sqs, clients.s3, clients.kms):
        CALLS.attach(client)
    return clients
