"""What every command-line process of the adapter sets up first: its logs and metrics, and a stop
event for SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import threading

from handler.contract import logs, telemetry


def configure_observability(service: str) -> None:
    """Logs (JSON unless ANGO_BATCH_LOG_FORMAT=text, with run/job/asset ids) and the `Service`
    dimension of the metrics, for this process: `handler` or `listener`."""
    fmt: logs.LogFormat = "text" if os.environ.get("ANGO_BATCH_LOG_FORMAT", "json") == "text" else "json"
    logs.configure_logging(f"ango-batch-{service}", fmt)
    telemetry.set_service(service)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
