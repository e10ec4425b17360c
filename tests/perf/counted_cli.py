"""`python -m tests.perf.counted_cli <command> ...`: the adapter's own command line, with the AWS
calls of the process counted from outside the product, by botocore event hooks this module
registers on every client the process builds, and printed at exit as
`aws calls: sqs=<n> s3=<n> kms=<n>` for the benchmark (tests/perf/calls.py reads that line)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import Counter
from typing import Any

from handler.contract import aws

_counts: Counter[str] = Counter()
_lock = threading.Lock()
_make_clients = aws.make_clients


def _count(model: Any, **_: Any) -> None:
    with _lock:
        _counts[model.service_model.service_name] += 1


def _counted_clients(*args: Any, **kwargs: Any) -> aws.AwsClients:
    clients = _make_clients(*args, **kwargs)
    for client in (clients.sqs, clients.s3, clients.kms):
        client.meta.events.register("before-call", _count)
    return clients


def _report() -> None:
    with _lock:
        line = " ".join(f"{name}={_counts.get(name, 0)}" for name in ("sqs", "s3", "kms"))
    print(f"aws calls: {line}", flush=True)


def _exit_after_report(code: int) -> None:
    # A worker that released running jobs leaves with os._exit, which skips atexit.
    _report()
    _hard_exit(code)


_hard_exit = os._exit

if __name__ == "__main__":
    aws.make_clients = _counted_clients  # before the commands import it by name
    atexit.register(_report)
    os._exit = _exit_after_report
    from listener.cli import main

    sys.exit(main())
