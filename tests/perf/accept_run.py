"""Listener accept time: a Listener in this process (threads) on a big project, hit by a burst of
runs. The benchmark times, per `plugin` event, the listener's socket handler (wrapped here, from
outside the product): the time from the event reaching the
socket handler to the socket thread being free again. No worker runs: the plan jobs are taken off
the queue afterwards, so nobody enumerates the big project."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import boto3

from handler.contract.settings import Settings
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.processes import UNLIMITED_REQUESTS_PER_MINUTE
from infra.stack import StackOutputs
from listener.service import Listener

from .options import BenchOptions, category_mapping, config_json
from .processes import wait_until
from .results import AcceptRun

MODEL = "haar"
STOP_TIMEOUT = 30.0


def measure_accept(emulator: EmulatorControl, stack: StackOutputs, options: BenchOptions) -> AcceptRun:
    listener = Listener(_settings(emulator, stack))
    accept_seconds = _time_socket_handler(listener)
    stop = threading.Event()
    thread = threading.Thread(target=listener.run, args=(stop,), name="bench-listener", daemon=True)
    thread.start()
    sqs = boto3.client("sqs")
    try:
        emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)
        started = time.monotonic()
        for _ in range(options.accept_runs):
            emulator.start_run(
                demo_data.PLUGIN_ID,
                demo_data.BENCH_PROJECT_ID,
                demo_data.API_KEY,
                category_schema=category_mapping(MODEL),
                batches=[demo_data.BATCH_A_ID],
                # "add": runs that skip pre-labeled assets refuse to overlap on one project.
                config_json=config_json(MODEL, options, existing="add"),
            )
        wait_until(
            lambda: _queued(sqs, stack.job_queue_url) >= options.accept_runs, 120, "every plan job queued"
        )
        enqueued = time.monotonic() - started
        wait_until(lambda: len(accept_seconds) >= options.accept_runs, 10, "every event handled")
    finally:
        _stop(stop, thread)
        _drain(sqs, stack.job_queue_url)
    times_ms = [s * 1000 for s in accept_seconds]
    return AcceptRun(
        project_assets=options.accept_assets,
        runs=len(times_ms),
        p50_ms=percentile(times_ms, 50),
        p99_ms=percentile(times_ms, 99),
        max_ms=max(times_ms),
        enqueued_s=enqueued,
    )


def _time_socket_handler(listener: Listener) -> list[float]:
    """Wrap the handler the socket calls for each `plugin` event (before it connects) and keep how
    long each call took: event in, socket thread free again."""
    seconds: list[float] = []
    handle = listener.socket._on_plugin

    def timed(data: Any) -> None:
        started = time.perf_counter()
        handle(data)
        seconds.append(time.perf_counter() - started)

    listener.socket._on_plugin = timed
    return seconds


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _settings(emulator: EmulatorControl, stack: StackOutputs) -> Settings:
    return Settings(
        ANGO_HOST=emulator.base_url,
        ANGO_PLUGIN_ID=demo_data.PLUGIN_ID,
        ANGO_PLUGIN_SECRET=demo_data.PLUGIN_SECRET,
        ANGO_BATCH_MODEL=MODEL,
        ANGO_BATCH_JOB_QUEUE_URL=stack.job_queue_url,
        ANGO_BATCH_STATUS_QUEUE_URL=stack.status_queue_url,
        ANGO_BATCH_JOB_DLQ_URL=stack.job_dlq_url,
        ANGO_BATCH_LEDGER_BUCKET=stack.ledger_bucket,
        ANGO_BATCH_KMS_KEY_ID=stack.kms_key_arn,
        # As infra.processes.adapter_env: the emulator limits nothing here, so neither do we.
        ANGO_REQUESTS_PER_MINUTE=float(UNLIMITED_REQUESTS_PER_MINUTE),
    )


def _queued(sqs: Any, url: str) -> int:
    """Messages on the queue, visible or not (nothing should be receiving them)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def _stop(stop: threading.Event, thread: threading.Thread) -> None:
    """Its pollers are daemon threads: the listener returns within seconds of `stop`."""
    stop.set()
    thread.join(STOP_TIMEOUT)


def _drain(sqs: Any, url: str) -> None:
    """Delete the queued plan jobs so no worker ever plans the big project."""
    empty = 0
    while empty < 2:
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = response.get("Messages", [])
        empty = 0 if messages else empty + 1
        if messages:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
