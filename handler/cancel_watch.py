"""Whether a run was cancelled (`runs/<id>/cancelled` in the ledger), asked cheaply and often.

A job asks before every model batch and every import; one S3 GET each time would be a GET per
batch of 8 images, so the answer is kept for a couple of seconds. Once cancelled, always cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from handler.contract.ledger import Ledger

TTL_SECONDS = 2.0


class CancelWatch:
    def __init__(
        self,
        ledger: Ledger,
        run_id: str,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger, self._run, self._clock = ledger, run_id, clock
        self._ttl = TTL_SECONDS if ttl is None else ttl
        self._cancelled, self._asked_at = False, -float("inf")

    def __call__(self) -> bool:
        if not self._cancelled and self._clock() - self._asked_at >= self._ttl:
            self._cancelled, self._asked_at = self._ledger.is_cancelled(self._run), self._clock()
        return self._cancelled
