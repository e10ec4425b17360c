"""Pacing Ango Hub calls so that many threads and workers on one API key stay within its budget.

Hub documents a rate limit per key ("Standard plan: 100 requests per minute"); it says nothing of
a Retry-After header. Every process paces the calls it makes with one key: calls leave no faster
than the documented rate (a small burst allowed), and each 429 halves the rate, which then creeps
back up by a small step per successful call (AIMD, like TCP). Workers never talk to each other, yet
several of them on one key settle near their fair shares after a few 429s instead of retrying into
the limit together: a 429 means "wait", never "fail".
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_REQUESTS_PER_MINUTE = 100.0
_BURST = 4  # calls that may leave at once after a quiet spell, beyond the steady rate
_MIN_RATE = 1 / 30  # never slower than one call in 30 s, whatever the 429s said
_INCREASE_STEPS = 20  # successful calls to climb back by one documented-rate / 20
_MAX_KEYS = 256  # pacers kept per process (one per API key in use), least recently used dropped


class HubPacer:
    """A token bucket whose rate adapts to Hub's 429s. Thread-safe."""

    def __init__(
        self,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Steady rate plus the burst stays within the budget in any 60-second window.
        self.ceiling = max(requests_per_minute - _BURST - 1, requests_per_minute / 2) / 60.0
        self.rate = self.ceiling
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_free = clock() - _BURST / self.ceiling  # starts with a full burst

    def acquire(self) -> float:
        """Wait for this call's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(self._next_free, now - _BURST / self.rate)
            self._next_free = slot + 1 / self.rate
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

    def throttled(self, retry_after: float | None) -> float:
        """Hub answered 429: halve the rate and push every later call back. Returns the pause."""
        with self._lock:
            self.rate = max(_MIN_RATE, self.rate / 2)
            pause = retry_after if retry_after is not None else 1 / self.rate
            self._next_free = max(self._next_free, self._clock() + pause)
            return pause

    def succeeded(self) -> None:
        with self._lock:
            self.rate = min(self.ceiling, self.rate + self.ceiling / _INCREASE_STEPS)


class PacerBook:
    """One pacer per (host, API key) in this process; keys are held only as digests."""

    def __init__(self, requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE) -> None:
        self._rate = requests_per_minute
        self._pacers: OrderedDict[str, HubPacer] = OrderedDict()
        self._lock = threading.Lock()

    def for_key(self, host: str, api_key: str) -> HubPacer:
        digest = hashlib.sha256(f"{host}\x00{api_key}".encode()).hexdigest()
        with self._lock:
            pacer = self._pacers.pop(digest, None) or HubPacer(self._rate)
            self._pacers[digest] = pacer
            while len(self._pacers) > _MAX_KEYS:
                self._pacers.popitem(last=False)
            return pacer
