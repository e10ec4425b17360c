"""Hub's per-API-key rate limit on `/v2` (protocol §12.5): a sliding window of request times per key.

The fact (DOC-API overview): "Standard plan: 100 requests per minute", answered with 429 "Rate limit
exceeded". Assumed, the stricter way each time: the scope is one API key (a missing key counts as one
more key); the window slides rather than resetting on the minute; a refused request still counts
toward the window, so hammering a limited key keeps it limited; no `Retry-After` unless the
`rate_limit_retry_after` knob asks for one.

Requests are counted while the limit is off too, so turning it on mid-run sees the recent traffic.
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


def key_fingerprint(api_key: str | None) -> str:
    """How stats name a key without showing it: its first 4 characters and a sha256 prefix."""
    if not api_key:
        return "<none>"
    return f"{api_key[:4]}:{hashlib.sha256(api_key.encode()).hexdigest()[:12]}"


@dataclass
class _KeyCounts:
    requests: int = 0
    throttled: int = 0


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, collections.deque[float]] = {}
        self._counts: dict[str, _KeyCounts] = {}

    def admit(self, api_key: str | None, limit: int, window_s: float, enforce: bool) -> float | None:
        """Count one request; None if it may go on, else the seconds until the key has a free slot."""
        key = api_key or ""
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault(key, collections.deque())
            while window and window[0] <= now - window_s:
                window.popleft()
            window.append(now)  # refused or not, it counts toward the window
            counts = self._counts.setdefault(key, _KeyCounts())
            counts.requests += 1
            if not enforce or len(window) <= limit:
                return None
            counts.throttled += 1
            # A request is admitted once at most limit - 1 earlier ones are inside the window.
            return window[len(window) - limit] + window_s - now

    def snapshot(self) -> dict[str, dict[str, int]]:
        """`{"<key fingerprint>": {"requests": n, "throttled": n}}` for every key seen."""
        with self._lock:
            counts = {key_fingerprint(k): (c.requests, c.throttled) for k, c in self._counts.items()}
        return {fp: {"requests": r, "throttled": t} for fp, (r, t) in sorted(counts.items())}

    def throttled_total(self) -> int:
        with self._lock:
            return sum(c.throttled for c in self._counts.values())

    def reset(self) -> None:
        """Forget counts and windows: every key starts with a full allowance."""
        with self._lock:
            self._windows.clear()
            self._counts.clear()
