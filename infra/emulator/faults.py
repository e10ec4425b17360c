"""Injected latency and failures, drawn from a seeded RNG so that a failing run can be replayed."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from .knobs import FAULT_GROUPS, Knobs

logger = logging.getLogger(__name__)

_SERVER_ERRORS = (500, 502, 503)


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after_s: int | None = None


class FaultInjector:
    """One RNG per endpoint group, so traffic in one group does not shift the draws of another."""

    def __init__(self, knobs: Knobs) -> None:
        self._knobs = knobs
        self._lock = threading.Lock()
        self._rngs: dict[str, random.Random] = {}
        self.reseed()

    def reseed(self) -> None:
        with self._lock:
            self._rngs = {g: random.Random(f"{self._knobs.fault_seed}:{g}") for g in FAULT_GROUPS}

    def delay(self, group: str) -> None:
        """Sleep for the group's configured latency; called outside every lock."""
        ms = self._knobs.file_latency_ms if group == "files" else self._knobs.latency_ms
        if ms > 0:
            time.sleep(ms / 1000.0)

    def delay_import_ack(self) -> None:
        """Hold an applied import's answer back: the labels are in, the client has not heard yet."""
        ms = self._knobs.import_ack_delay_ms
        if ms > 0:
            time.sleep(ms / 1000.0)

    def draw(self, group: str) -> Fault | None:
        """Decide whether this request fails, and how."""
        rate_5xx = self._knobs.rate(group, "5xx")
        rate_429 = self._knobs.rate(group, "429")
        if rate_5xx <= 0 and rate_429 <= 0:
            return None
        with self._lock:
            rng = self._rngs[group]
            roll = rng.random()
            status = rng.choice(_SERVER_ERRORS)
        if roll < rate_5xx:
            logger.info("injecting %d into %s request", status, group)
            return Fault(status)
        if roll < rate_5xx + rate_429:
            logger.info("injecting 429 into %s request", group)
            return Fault(429, self._knobs.retry_after_s)
        return None
