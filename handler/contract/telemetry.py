"""Metrics in CloudWatch Embedded Metric Format: JSON lines on stdout that CloudWatch Logs turns
into metrics, the same in Lambda and in a long-running worker or listener.

Everything is recorded into one process-wide, locked set and written by `flush`: once per job
(handler/runner.py) and once a minute in the listener (`keep_flushing`), not only at a Lambda's
return, since a worker never returns. The template's dashboard and alarms read exactly these names:
namespace `AngoBatch`, one dimension `Service` (`handler` or `listener`).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

logger = logging.getLogger(__name__)
NAMESPACE = "AngoBatch"
FLUSH_SECONDS = 60.0
# Values per metric in one line: EMF takes 100, and Powertools prints a line of its own on the 100th.
_MAX_VALUES = 99

_lock = threading.Lock()
_service = "handler"
_counts: dict[str, float] = {}  # summed until the next flush
_samples: dict[str, tuple[MetricUnit, list[float]]] = {}  # every value kept, for percentiles


def set_service(name: str) -> None:
    """The `Service` dimension of this process's metrics (`handler` unless told otherwise)."""
    global _service
    _service = name


def count(name: str, value: float = 1) -> None:
    with _lock:
        _counts[name] = _counts.get(name, 0) + value


def sample(name: str, value: float, unit: MetricUnit = MetricUnit.Seconds) -> None:
    with _lock:
        _samples.setdefault(name, (unit, []))[1].append(value)


def gauge(name: str, value: float) -> None:
    """A reading of a state (e.g. 1 or 0 for up or down), kept per reading, not summed."""
    sample(name, value, MetricUnit.Count)


def hub_call(status: int) -> None:
    """One Ango Hub REST call answered with `status`; 429s also count as throttled."""
    count("HubCalls")
    if status == 429:
        count("HubThrottled")


@contextmanager
def timed(name: str, per: int = 1) -> Iterator[None]:
    """Sample the block's duration (divided by `per` items) when it ends without an exception: a
    failed attempt's time says nothing about the pace."""
    started = time.perf_counter()
    yield
    sample(name, (time.perf_counter() - started) / max(1, per))


def flush() -> None:
    """Write what was recorded since the last flush as EMF lines on stdout; nothing if nothing.
    Never raises: metrics lost are not worth a failed job."""
    global _counts, _samples
    with _lock:
        counts, samples, _counts, _samples = _counts, _samples, {}, {}
        metrics = [(name, MetricUnit.Count, [value]) for name, value in counts.items()]
        metrics += [(name, unit, values) for name, (unit, values) in samples.items()]
        try:
            _write(metrics)
        except Exception as exc:
            logger.warning("metrics not written: %s", type(exc).__name__)


def _write(metrics: list[tuple[str, MetricUnit, list[float]]]) -> None:
    start = 0
    while any(start < len(values) for _, _, values in metrics):
        line = _emf_line([(n, u, v[start : start + _MAX_VALUES]) for n, u, v in metrics])
        # One write per line, under the caller's lock: lines of concurrent jobs never interleave.
        sys.stdout.write(line + "\n")
        start += _MAX_VALUES
    sys.stdout.flush()


def keep_flushing(
    stop: threading.Event, before: Callable[[], None] | None = None, interval: float = FLUSH_SECONDS
) -> None:
    """For a long-running process: every `interval`, run `before` (to sample a gauge), then flush;
    a last flush when `stop` is set."""
    while not stop.wait(interval):
        if before is not None:
            before()
        flush()
    flush()


def _emf_line(metrics: list[tuple[str, MetricUnit, list[float]]]) -> str:
    # An empty service, not None: Powertools would add a `service` dimension from
    # POWERTOOLS_SERVICE_NAME, and the dashboard's metrics have `Service` alone (CloudWatch
    # matches the full dimension set).
    provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service="")
    provider.add_dimension(name="Service", value=_service)
    for name, unit, values in metrics:
        for value in values:
            provider.add_metric(name=name, unit=unit, value=value)
    return json.dumps(provider.serialize_metric_set(), separators=(",", ":"))
