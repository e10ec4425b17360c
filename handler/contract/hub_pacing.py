"""Pacing Ango Hub calls so that many threads and workers on one API key stay within its budget.

Hub documents a rate limit per key ("Standard plan: 100 requests per minute"); it says nothing of
a Retry-After header. Every process paces the calls it makes with one key: calls leave no faster
than the documented rate (a small burst allowed), and each 429 halves the rate, which then creeps
back up by a small step per successful call (AIMD, like TCP). Workers never talk to each other, yet
several of them on one key settle near their fair shares after a few 429s instead of retrying into
the limit together: a 429 means "wait", never "fail".

With the shared budget (`ANGO_BATCH_SHARED_HUB_BUDGET`, handler/contract/hub_budget.py) every
process draws its calls' slots from one budget per key in the ledger's bucket instead, and this
per-process pacing is the fallback while that store cannot be reached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

DEFAULT_REQUESTS_PER_MINUTE = 100.0
_BURST = 4  # calls that may leave at once after a quiet spell, beyond the steady rate
_MIN_RATE = 1 / 30  # never slower than one call in 30 s, whatever the 429s said
_INCREASE_STEPS = 20  # successful calls to climb back by one documented-rate / 20
_MAX_KEYS = 256  # pacers kept per process (one per API key in use), least recently used dropped


def steady_rate(requests_per_minute: float) -> float:
    """Calls a second that, with a burst of _BURST, stay within the budget in any 60-second window."""
    return max(requests_per_minute - _BURST - 1, requests_per_minute / 2) / 60.0


def key_digest(host: str, api_key: str) -> str:
    """How pacing names a key, here and in the shared budget store: never the key itself."""
    return hashlib.sha256(f"{host}\x00{api_key}".encode()).hexdigest()


class SharedKeyBudget(Protocol):
    """One key's budget shared with other processes (handler/contract/hub_budget.py)."""

    def acquire(self) -> float | None:
        """Wait for a slot; the seconds waited, or None when the store cannot be used now."""

    def push_back(self, pause: float) -> None:
        """Hub answered 429: no process's next call on this key before `pause` seconds from now."""


class HubPacer:
    """A token bucket whose rate adapts to Hub's 429s. Thread-safe. With `shared`, calls take
    their slots from the key's shared budget while its store answers, and from this bucket when not."""

    def __init__(
        self,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedKeyBudget | None = None,
    ) -> None:
        self.ceiling = steady_rate(requests_per_minute)
        self.rate = self.ceiling
        self._clock, self._sleep = clock, sleep
        self._shared = shared
        self._lock = threading.Lock()
        self._next_free = clock() - _BURST / self.ceiling  # starts with a full burst

    def acquire(self) -> float:
        """Wait for this call's slot; returns the seconds waited."""
        if self._shared is not None:
            waited = self._shared.acquire()
            if waited is not None:
                return waited
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
        if self._shared is not None:
            self._shared.push_back(pause)  # the other processes on this key wait too
        return pause

    def succeeded(self) -> None:
        with self._lock:
            self.rate = min(self.ceiling, self.rate + self.ceiling / _INCREASE_STEPS)


class PacerBook:
    """One pacer per (host, API key) in this process; keys are held only as digests. `shared`
    gives a digest's budget in the store that all processes share (None: each paces itself)."""

    def __init__(
        self,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        shared: Callable[[str], SharedKeyBudget] | None = None,
    ) -> None:
        self._rate = requests_per_minute
        self._shared = shared
        self._pacers: OrderedDict[str, HubPacer] = OrderedDict()
        self._lock = threading.Lock()

    def for_key(self, host: str, api_key: str) -> HubPacer:
        digest = key_digest(host, api_key)
        with self._lock:
            pacer = self._pacers.pop(digest, None) or self._new_pacer(digest)
            self._pacers[digest] = pacer
            while len(self._pacers) > _MAX_KEYS:
                self._pacers.popitem(last=False)
            return pacer

    def _new_pacer(self, digest: str) -> HubPacer:
        return HubPacer(self._rate, shared=self._shared(digest) if self._shared else None)
