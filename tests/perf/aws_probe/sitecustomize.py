"""Benchmark-only AWS call counter, loaded into the adapter's processes through PYTHONPATH.

Python imports `sitecustomize` at start-up. When `ANGO_BENCH_PROBE_DIR` is set, this wraps
botocore's one entry point for API calls and keeps `<dir>/aws-<pid>.json` up to date with the
calls made so far, per service and operation, so the benchmark can take the calls of one run as
a difference, whatever the process prints at exit. Nothing in the product is changed.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from typing import Any

_FLUSH_SECONDS = 0.1


class _Probe:
    def __init__(self, directory: str) -> None:
        self._path = os.path.join(directory, f"aws-{os.getpid()}.json")
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()
        self._dirty = threading.Event()

    def count(self, service: str, operation: str) -> None:
        with self._lock:
            self._calls[(service, operation)] += 1
        self._dirty.set()

    def flush(self) -> None:
        with self._lock:
            calls: dict[str, dict[str, int]] = {}
            for (service, operation), n in sorted(self._calls.items()):
                calls.setdefault(service, {})[operation] = n
        temporary = f"{self._path}.tmp"
        with open(temporary, "w") as out:
            json.dump({"pid": os.getpid(), "calls": calls}, out)
        os.replace(temporary, self._path)

    def flush_forever(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            self.flush()
            threading.Event().wait(_FLUSH_SECONDS)


def _install(directory: str) -> None:
    from botocore.client import BaseClient

    probe = _Probe(directory)
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        probe.count(self.meta.service_model.service_name, operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    probe.flush()
    threading.Thread(target=probe.flush_forever, name="aws-probe", daemon=True).start()
    atexit.register(probe.flush)


if os.environ.get("ANGO_BENCH_PROBE_DIR"):
    _install(os.environ["ANGO_BENCH_PROBE_DIR"])
