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
from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef
from handler.contract.retry import RetryPolicy, TransientError, call_with_retries
from handler.import_journal import ImportJournal
from handler.prelabels import AssetLabels
from handler.tally import JobTally

logger = logging.getLogger(__name__)
Labeled = tuple[AssetRef, AssetLabels]


class JobCancelled(Exception):
    """The worker released this job (shutdown past its grace): it must not start another import."""


def settle_unknown(
    client: AngoClient, project_id: str, run_id: str, journal: ImportJournal, assets: Sequence[AssetRef]
) -> None:
    """Resolve imports an earlier attempt started but never confirmed, by asking Hub."""
    unsettled = journal.unsettled()
    in_doubt = [asset for asset in assets if asset.asset_id in unsettled]
    if not in_doubt:
        return
    landed = landed_objects(client, project_id, run_id, in_doubt)
    journal.settle(landed, [asset.asset_id for asset in in_doubt if asset.asset_id not in landed])
    logger.info("run %s: %d imports in doubt, %d had landed", run_id, len(in_doubt), len(landed))


def import_labeled(
    client: AngoClient,
    project_id: str,
    run_id: str,
    journal: ImportJournal,
    labeled: Sequence[Labeled],
    batch_size: int,
    tally: JobTally,
    cancelled: threading.Event | None = None,
    policy: RetryPolicy | None = None,
) -> None:
    for start in range(0, len(labeled), batch_size):
        chunk = labeled[start : start + batch_size]
        if cancelled is not None and cancelled.is_set():
            raise JobCancelled(f"run {run_id}: released before importing {len(labeled) - start} assets")
        objects = {asset.asset_id: labels.objects for asset, labels in chunk}
        journal.begin(objects)
        try:
            _import_chunk(client, project_id, run_id, chunk, policy or RetryPolicy())
        except AngoError as exc:
            # Refused for good; an earlier attempt of this chunk may still have landed (a 5xx that
            # applied), so Hub says which assets carry their pre-labels and which failed.
            logger.warning("run %s: import of %d assets refused: %s", run_id, len(chunk), exc)
            landed = landed_objects(client, project_id, run_id, [asset for asset, _ in chunk])
            journal.settle(landed, [asset_id for asset_id in objects if asset_id not in landed])
            for asset, _ in chunk:
                if asset.asset_id in landed:
                    tally.imported(landed[asset.asset_id])
                else:
                    tally.fail(asset, f"Ango Hub refused the pre-labels ({exc.status}: {exc.hub_message})")
            continue
        journal.settle(objects)
        for _, labels in chunk:
            tally.imported(labels.objects)


def landed_objects(
    client: AngoClient, project_id: str, run_id: str, assets: Sequence[AssetRef]
) -> dict[str, int]:
    """Asset id -> number of this run's objects Hub holds, for the assets that have any."""
    stored = client.stored_object_ids(project_id, assets)
    landed = {}
    for asset in assets:
        prefix = f"{run_id}-{asset.asset_id}-"
        count = sum(1 for object_id in stored.get(asset.asset_id, ()) if object_id.startswith(prefix))
        if count:
            landed[asset.asset_id] = count
    return landed


def _import_chunk(
    client: AngoClient,
    project_id: str,
    run_id: str,
    chunk: Sequence[Labeled],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    pending = list(chunk)

    def send() -> None:
        if pending:  # empty once a look found that everything had landed
            client.import_prelabels_once(project_id, _items(pending))

    def look_if_maybe_applied(exc: TransientError) -> None:
        if exc.maybe_applied:  # only what did not land goes again
            landed = landed_objects(client, project_id, run_id, [asset for asset, _ in pending])
            pending[:] = [(asset, labels) for asset, labels in pending if asset.asset_id not in landed]

    call_with_retries(send, f"run {run_id}: import", policy, sleep, look_if_maybe_applied)


def _items(labeled: Iterable[Labeled]) -> list[dict[str, Any]]:
    return [labels.item for _, labels in labeled if labels.item is not None]
