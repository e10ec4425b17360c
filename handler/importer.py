"""Importing a job's pre-labels into Hub exactly once in effect.

Hub's import has no idempotency key and, as far as anyone knows, appends: importing the same
pre-labels twice puts duplicates in front of a human. Two things make a repeat harmless here:
- the job's import journal (handler/import_journal.py) records each asset before and after its
  import, so a redelivered job skips what is done and knows what is in doubt;
- object ids are deterministic (`<run>-<asset>-<n>`), so "did it land?" is answered by reading the
  asset's task from Hub, which is done for every asset in doubt before it is imported again: after a
  crash mid-call, and after a failure that may have applied (a 5xx, a dropped connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from handler.contract.ango import AngoClient
from handler.contract.chunks import chunked
from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef
from handler.contract.retry import RetryPolicy, TransientError, call_with_retries
from handler.import_journal import ImportJournal
from handler.inference.tally import JobTally
from handler.outputs.prelabels import AssetLabels

logger = logging.getLogger(__name__)
Labeled = tuple[AssetRef, AssetLabels]


class JobCancelled(Exception):
    """The worker released this job (shutdown past its grace): it must not start another import."""


class Importer:
    """One job's imports into one run's project: in doubt ones settled first, then batches."""

    def __init__(
        self,
        client: AngoClient,
        project_id: str,
        run_id: str,
        journal: ImportJournal,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client, self._project, self._run = client, project_id, run_id
        self._journal, self._policy, self._sleep = journal, policy or RetryPolicy(), sleep

    def settle_in_doubt(self, assets: Sequence[AssetRef]) -> None:
        """Resolve imports an earlier attempt started but never confirmed, by asking Hub."""
        in_doubt_ids = self._journal.in_doubt()
        in_doubt = [asset for asset in assets if asset.asset_id in in_doubt_ids]
        if not in_doubt:
            return
        landed = self.landed(in_doubt)
        self._journal.settle(landed, [asset.asset_id for asset in in_doubt if asset.asset_id not in landed])
        logger.info("run %s: %d imports in doubt, %d had landed", self._run, len(in_doubt), len(landed))

    def import_all(
        self,
        labeled: Sequence[Labeled],
        batch_size: int,
        tally: JobTally,
        cancelled: threading.Event | None,
        run_cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        """Import in batches. `cancelled`: the worker released the job (another worker does the
        rest, so nothing is recorded); `run_cancelled`: the run was cancelled (the rest is counted
        as not processed)."""
        done = 0
        for batch in chunked(labeled, batch_size):
            if cancelled is not None and cancelled.is_set():
                raise JobCancelled(f"run {self._run}: released before importing {len(labeled) - done} assets")
            if run_cancelled():
                tally.cancel([asset for asset, _ in labeled[done:]])
                return
            self._import_batch(batch, tally)
            done += len(batch)

    def landed(self, assets: Sequence[AssetRef]) -> dict[str, int]:
        """Asset id -> number of this run's objects Hub holds, for the assets that have any."""
        stored = self._client.stored_object_ids(self._project, assets)
        landed = {}
        for asset in assets:
            prefix = f"{self._run}-{asset.asset_id}-"
            count = sum(1 for object_id in stored.get(asset.asset_id, ()) if object_id.startswith(prefix))
            if count:
                landed[asset.asset_id] = count
        return landed

    def _import_batch(self, batch: Sequence[Labeled], tally: JobTally) -> None:
        objects = {asset.asset_id: labels.objects for asset, labels in batch}
        self._journal.mark_in_doubt(objects)
        try:
            self.send(batch)
        except AngoError as exc:
            # Refused for good; an earlier attempt of this batch may still have landed (a 5xx that
            # applied), so Hub says which assets carry their pre-labels and which failed.
            logger.warning("run %s: import of %d assets refused: %s", self._run, len(batch), exc)
            landed = self.landed([asset for asset, _ in batch])
            self._journal.settle(landed, [asset_id for asset_id in objects if asset_id not in landed])
            for asset, _ in batch:
                if asset.asset_id in landed:
                    tally.imported(landed[asset.asset_id])
                else:
                    tally.fail(asset, f"Ango Hub refused the pre-labels ({exc.status}: {exc.hub_message})")
            return
        self._journal.settle(objects)
        for asset, labels in batch:
            tally.imported(labels.objects, asset, labels)

    def send(self, batch: Sequence[Labeled]) -> None:
        """Import `batch`, retried; after a failure that may have applied, only what did not land
        at Hub goes again (a 429 never applied: everything goes again, without a look)."""
        pending = list(batch)

        def send_pending() -> None:
            if pending:  # empty once a look found that everything had landed
                self._client.import_prelabels_once(self._project, _items(pending))

        def look_if_maybe_applied(exc: TransientError) -> None:
            if exc.maybe_applied:
                landed = self.landed([asset for asset, _ in pending])
                pending[:] = [(asset, labels) for asset, labels in pending if asset.asset_id not in landed]

        what = f"run {self._run}: import"
        call_with_retries(send_pending, what, self._policy, self._sleep, look_if_maybe_applied)


def _items(labeled: Iterable[Labeled]) -> list[dict[str, Any]]:
    return [labels.item for _, labels in labeled if labels.item is not None]
