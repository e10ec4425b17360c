"""One Hub request budget per API key, shared by every handler process through the ledger's bucket.

Hub limits each API key (standard plan: 100 requests a minute), but a process's own pacer
(hub_pacing.py) knows only that process's calls: 50 Lambda instances on one key would ask for 50
budgets. With the shared budget on (`ANGO_BATCH_SHARED_HUB_BUDGET`, the default), every process
takes its calls' slots from one budget per key:

- The ledger bucket holds one small object per (Hub host, API key), `runs/_budget/<digest>/slot`,
  named by a sha256 of both (never the key). Its body says when the key's next call may leave
  (`next_free`, wall-clock seconds).
- A call reads it (its body and ETag), takes the slot `max(now, next_free)` and writes `next_free`
  one interval later only over the version it read (S3 `If-Match`; `If-None-Match: *` for the
  first). Another process that wrote in between makes the write fail with 412: the call reads
  again. So no two calls get the same slot and a key's calls leave an interval apart, at
  `hub_pacing.steady_rate`: 5 calls a minute under the budget, a margin that clock skew between
  hosts (NTP keeps it to milliseconds) and network jitter eat into instead of Hub's budget.
- A 429 moves `next_free` to now + the pause (Hub's Retry-After, else HubPacer's AIMD pause):
  every process on the key waits, not only the one Hub told.

Cost: one GET and one PUT per Hub call (about 200 S3 requests a minute at a key's 100 calls, cents a
day), plus a read and a write again per lost race, which is rare: a call that has its slot holds it
while it waits, so waiting processes do not poll, and they only race when two reserve in the same
few milliseconds.
Why the ledger's bucket and not DynamoDB (one conditional UpdateItem, no read): every handler
already reaches that bucket with the rights and the key this needs (runs/*), so nothing is added to
the stack; and LocalStack serves S3's conditional writes on this machine but not DynamoDB, so the
shared path is tested against the real API, not a stand-in.

The store down, slow (1 s timeouts, one retry: handler/contract/aws.py) or refusing: the process
logs one WARNING per outage and paces itself (HubPacer, as without a store), trying the store
again 30 s later. A slot more than 10 minutes ahead is taken for a broken store (a host's clock
far ahead), not for a queue.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handler.contract.aws import budget_store_client
from handler.contract.hub_pacing import steady_rate
from handler.contract.ledger_steering import PREFIX
from handler.contract.s3_store import S3Store, VersionConflict
from handler.contract.settings import Settings

logger = logging.getLogger(__name__)

BUDGET_PREFIX = f"{PREFIX}_budget/"  # + <digest>/slot: 4 parts deep, never taken for a run's records
OUTAGE_BACKOFF_SECONDS = 30.0  # a process paces itself this long before it tries the store again
_HORIZON_SECONDS = 600.0
_TRIES = 5  # races lost for one call before it paces itself this once
_RACE_JITTER_SECONDS = 0.02


class StoreUnusableError(Exception):
    """The budget store did not answer, refused, or holds a slot no clock should."""


def budget_key(digest: str) -> str:
    return f"{BUDGET_PREFIX}{digest}/slot"


class SharedBudget:
    """This process's door to every key's budget in the ledger's bucket. Thread-safe."""

    def __init__(
        self,
        make_store: Callable[[], S3Store],
        requests_per_minute: float,
        clock: Callable[[], float] = time.time,  # wall clock: slots are compared across hosts
        sleep: Callable[[float], None] = time.sleep,
        outage_backoff: float = OUTAGE_BACKOFF_SECONDS,
    ) -> None:
        self.interval = 1 / steady_rate(requests_per_minute)
        self.clock, self.sleep = clock, sleep
        self._make_store = make_store
        self._store: S3Store | None = None
        self._backoff = outage_backoff
        self._lock = threading.Lock()
        self._down_until: float | None = None  # None: the store is in use

    def for_digest(self, digest: str) -> KeyBudget:
        return KeyBudget(self, digest)

    def usable(self) -> bool:
        """In use, or out long enough to be tried again."""
        with self._lock:
            return self._down_until is None or self.clock() >= self._down_until

    def take(self, digest: str) -> float | None:
        """Reserve the key's next slot: its wall-clock time. None: the call lost the race for it
        _TRIES times running; the caller paces itself this once."""
        for _ in range(_TRIES):
            found, version = self._read(digest)
            now = self.clock()
            if found > now + _HORIZON_SECONDS:
                raise StoreUnusableError(f"the next slot is {found - now:.0f} s ahead: a clock out of step?")
            slot = max(now, found)
            if self._write(digest, slot + self.interval, version):
                return slot
            self.sleep(random.uniform(0, _RACE_JITTER_SECONDS))  # another process took one: read again
        logger.debug("no shared slot after %d tries; pacing this call locally", _TRIES)
        return None

    def push_back(self, digest: str, pause: float) -> None:
        """No call on the key before `pause` seconds from now (never past the horizon, where a
        slot would read as a broken clock). One try: a lost race means another process moved it."""
        if not self.usable():
            return
        try:
            found, version = self._read(digest)
            later = self.clock() + min(pause, _HORIZON_SECONDS)
            if found < later:
                self._write(digest, later, version)
        except StoreUnusableError as error:
            self.went_down(str(error))

    def went_down(self, reason: str) -> None:
        with self._lock:
            if self._down_until is None:
                logger.warning("Hub budget store unreachable (%s): pacing this process on its own", reason)
            self._down_until = self.clock() + self._backoff

    def came_back(self) -> None:
        with self._lock:
            if self._down_until is not None:
                logger.info("Hub budget store reachable again: sharing each key's budget")
                self._down_until = None

    def _read(self, digest: str) -> tuple[float, str | None]:
        """(next_free, the object's version); (0.0, None) when the key has none yet."""
        found = self._call(lambda store: store.get_bytes(budget_key(digest)))
        if found is None:
            return 0.0, None
        try:
            return float(json.loads(found[0])["next_free"]), found[1]
        except (ValueError, KeyError, TypeError):
            raise StoreUnusableError("an unreadable budget record") from None

    def _write(self, digest: str, next_free: float, version: str | None) -> bool:
        """Write `next_free` over `version` (or only if new); False when another process wrote first."""
        body = json.dumps({"next_free": round(next_free, 6)}).encode()
        try:
            self._call(
                lambda store: store.put_bytes(
                    budget_key(digest), body, only_if_new=version is None, over_version=version
                )
            )
        except VersionConflict:
            return False
        return True

    def _call(self, action: Callable[[S3Store], Any]) -> Any:
        try:
            if self._store is None:
                self._store = self._make_store()
            return action(self._store)
        except ClientError as error:  # refused: no rights, no bucket, throttled
            raise StoreUnusableError(str(error.response.get("Error", {}).get("Code", "error"))) from None
        except BotoCoreError as error:  # no connection, a timeout, no credentials
            raise StoreUnusableError(type(error).__name__) from None


class KeyBudget:
    """One key's shared budget as one process sees it (hub_pacing.SharedKeyBudget)."""

    def __init__(self, budget: SharedBudget, digest: str) -> None:
        self._budget = budget
        self._digest = digest

    def acquire(self) -> float | None:
        """Wait for this call's slot; the seconds waited, or None when the caller paces itself."""
        budget = self._budget
        if not budget.usable():
            return None
        try:
            slot = budget.take(self._digest)
        except StoreUnusableError as error:
            budget.went_down(str(error))
            return None
        budget.came_back()
        if slot is None:
            return None
        wait = slot - budget.clock()
        if wait > 0:
            budget.sleep(wait)
        return max(0.0, wait)

    def push_back(self, pause: float) -> None:
        self._budget.push_back(self._digest, pause)


def shared_budget(settings: Settings) -> SharedBudget | None:
    """The shared budget in the settings' ledger bucket, or None (each process paces itself): when
    it is turned off, or where there is no ledger (tests, the benchmark's model alone)."""
    if not (settings.shared_hub_budget and settings.ledger_bucket and settings.kms_key_id):
        return None

    def store() -> S3Store:
        return S3Store(budget_store_client(), settings.ledger_bucket, settings.kms_key_id)

    return SharedBudget(store, settings.ango_requests_per_minute)
