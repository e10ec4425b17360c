"""Request counts per endpoint and status code, for tests that assert on retries and paging."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()

    def record(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._counts[(endpoint, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        """`{"GET /v2/project/<project_id>/assets": {"200": 3, "429": 1}, ...}`."""
        with self._lock:
            items = sorted(self._counts.items())
        result: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in items:
            result.setdefault(endpoint, {})[str(status)] = count
        return result
