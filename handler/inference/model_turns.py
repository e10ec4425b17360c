"""Turns at a process's one model: the job furthest behind in its run goes first.

A worker runs a few jobs at once (`ango-batch work --concurrency`), and they take turns at the model one
batch at a time. Served in arrival order, a small run's one job that lands beside a big run's job
gets every other batch: half the model, and twice its time. Served by least attained service
instead, each batch goes to the waiting job whose place in its run is lowest (a job's place is its
number: job 000000 is a run's first, and `r1-000002` a retry round's third), so a run that has had
few turns (a new or small one) gets the model ahead of one that has had many, and a big run loses
only the small run's own batches. Ties go in arrival order.

A job that has just had a turn is ready again a few milliseconds later (its next batch was
downloaded while the model ran). So that its turn is not handed to another run's job behind it in
that gap, the model is kept for the job that had it for up to `HOLD_SECONDS` against other runs'
jobs with a higher place; a job with a lower place, or the same, or of the same run, takes it at
once (one run's jobs serve the same user, and a model kept idle for them would only cost time).
"""

from __future__ import annotations

import heapq
import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Long enough for a job to come back from building one batch's labels with a dozen download threads
# beside it (the interpreter switches threads every 5 ms), short against a model call (0.1-2 s):
# what it costs is this much idle model when the job that had the turn has no next batch ready.
HOLD_SECONDS = 0.05

_TRAILING_NUMBER = re.compile(r"(\d+)$")


def job_place(job_id: str) -> int:
    """A job's place in its run: the number its id ends with (0 for an id without one)."""
    found = _TRAILING_NUMBER.search(job_id)
    return int(found.group(1)) if found else 0


class ModelTurns:
    """A lock whose waiters are served lowest place first (`take(run_id, place)`), arrival order on
    ties."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS) -> None:
        self._hold_seconds = hold_seconds
        self._changed = threading.Condition()
        self._waiting: list[tuple[int, int]] = []  # heap of (place, ticket)
        self._tickets = itertools.count()
        self._busy = False
        self._kept_for: tuple[str, int] | None = None  # the last turn's run and place...
        self._kept_until = 0.0  # ...and until when other runs' jobs with a higher place leave it that turn

    @property
    def waiting(self) -> int:
        """How many jobs wait for a turn now."""
        with self._changed:
            return len(self._waiting)

    @contextmanager
    def take(self, run_id: str, place: int) -> Iterator[None]:
        """Holds the model for the block, once every job waiting with a lower place has had it."""
        with self._changed:
            entry = (place, next(self._tickets))
            heapq.heappush(self._waiting, entry)
            try:
                while (wait := self._wait_for(run_id, entry)) != 0.0:
                    self._changed.wait(wait)
            except BaseException:  # interrupted while waiting: out of the queue, or it blocks the rest
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._busy = True
            self._kept_for = (run_id, place)
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._kept_until = time.monotonic() + self._hold_seconds
                self._changed.notify_all()

    def _wait_for(self, run_id: str, entry: tuple[int, int]) -> float | None:
        """0 when `entry` may take the model now; else how long to wait before looking again
        (None: until the next change)."""
        if self._busy or self._waiting[0] != entry:
            return None
        if self._kept_for is not None and self._kept_for[0] != run_id and entry[0] > self._kept_for[1]:
            left = self._kept_until - time.monotonic()
            if left > 0:
                return left
        return 0.0
