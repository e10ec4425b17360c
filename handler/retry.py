"""Bounded retries with exponential backoff and full jitter, honouring a server's Retry-After."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TransientError(Exception):
    """Worth retrying: a 5xx, a 429, a timeout or a dropped connection.

    `maybe_applied` says whether the server may have done the work before failing (a 5xx from a
    gateway that gave up, a connection dropped mid-request); a 429 comes from a rate limiter in
    front of the API and never applies. A write retried blindly after one that maybe applied can
    apply twice.
    """

    def __init__(self, message: str, retry_after: float | None = None, maybe_applied: bool = True) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def call_with_retries(
    fn: Callable[[], T],
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[TransientError], None] | None = None,
) -> T:
    """Run fn; on TransientError wait and try again, at most policy.attempts times in all.
    `before_retry` runs after each wait, before the next try (a write looks at what landed)."""
    for attempt in range(policy.attempts):
        try:
            return fn()
        except TransientError as exc:
            if attempt + 1 >= policy.attempts:
                raise
            delay = policy.delay(attempt, exc.retry_after)
            logger.warning("%s failed (%s); retry %d in %.2fs", what, exc, attempt + 1, delay)
            sleep(delay)
            if before_retry is not None:
                before_retry(exc)
    raise AssertionError("unreachable")
