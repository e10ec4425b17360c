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

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        maybe_applied: bool = True,
        throttled: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied
        # A 429: the caller's pacer already holds back its next call; it costs no attempt.
        self.throttled = throttled


class HubBusyError(TransientError):
    """Hub kept answering 429 for longer than a job should wait: the job goes back to the queue as
    a fresh message (handler/runner.py), so waiting never counts toward its dead-letter limit."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # for 5xx, timeouts and dropped connections
    base_delay: float = 0.5
    max_delay: float = 20.0
    # How long one call keeps waiting out 429s (paced, see handler/hub_pacing.py) before the job
    # is handed back to the queue: a rate limit is a budget, not a failure.
    throttle_patience: float = 300.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return full_jitter(attempt, self.base_delay, self.max_delay)


def full_jitter(attempt: int, base: float, cap: float) -> float:
    """A delay drawn uniformly up to base x 2^attempt, capped: retries of many clients spread out
    instead of arriving together (the "full jitter" of AWS's backoff write-up)."""
    return random.uniform(0, min(cap, base * 2**attempt))


def call_with_retries(
    fn: Callable[[], T],
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[TransientError], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run fn; on TransientError wait and try again, at most policy.attempts times in all, not
    counting 429s, which are waited out for up to policy.throttle_patience seconds.
    `before_retry` runs after each wait, before the next try (a write looks at what landed)."""
    attempt, give_up_throttling_at = 0, clock() + policy.throttle_patience
    while True:
        try:
            return fn()
        except TransientError as exc:
            if exc.throttled:
                if clock() >= give_up_throttling_at:
                    raise HubBusyError(f"{what}: Ango Hub kept answering 429 (rate limit)") from None
                delay = 0.0  # the pacer spaces the next call
            else:
                attempt += 1
                if attempt >= policy.attempts:
                    raise
                delay = policy.delay(attempt - 1, exc.retry_after)
                logger.warning("%s failed (%s); retry %d in %.2fs", what, exc, attempt, delay)
            sleep(delay)
            if before_retry is not None:
                before_retry(exc)
