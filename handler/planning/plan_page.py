"""One page of listed assets, sorted: ready for a job, skipped (media the model does not read, task not
To Do, already pre-labeled) or failed (no data URL), each with its reason (see planner.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from handler.contract.messages import AssetFailure, AssetRef
from handler.contract.records import PlanCursor
from handler.media.kinds import MediaKind, kind_of_url
from handler.planning.listings import ListedAsset

TODO = "TODO"  # the one task status that takes pre-labels (Hub's docs)
ALREADY_PRELABELED = "already pre-labeled"


class PageOutcome:
    """Sorting one page's assets into ready, skipped (with why) and failed (with why)."""

    def __init__(self, cursor: PlanCursor, max_failures: int, reads: frozenset[MediaKind]) -> None:
        self._listed, self._max_failures, self._reads = cursor.listed, max_failures, reads
        self._skipped, self._failed = Counter(cursor.skipped), cursor.failed
        self._failures = list(cursor.failures)
        self._ready_before = cursor.ready
        self.ready: list[AssetRef] = []

    @property
    def ready_in_all(self) -> int:
        """Assets taken for jobs so far, this page's included."""
        return self._ready_before + len(self.ready)

    def add(self, asset: ListedAsset, existing: str) -> None:
        self._listed += 1
        data = asset.data or next(iter(asset.pages), None)  # a multi-image asset's data is its page 0
        if not data or not asset.asset_id or not asset.external_id:
            self._fail(asset.external_id or asset.asset_id, "the asset has no data URL to read")
            return
        # Media the model does not read is counted by kind, and never downloaded. An unknown
        # extension is left to the download, whose content decides.
        kind = "image" if asset.pages else kind_of_url(data)  # a multi-image asset's pages
        if kind != "unknown" and kind not in self._reads:
            self._skipped[kind] += 1
        elif asset.status != TODO:
            self._skipped[f"status {asset.status or 'unknown'}"] += 1
        elif existing == "skip" and asset.prelabeled:
            self._skipped[ALREADY_PRELABELED] += 1
        else:
            self.ready.append(
                AssetRef(
                    asset_id=asset.asset_id,
                    external_id=asset.external_id,
                    data_url=data,
                    address_by_url=asset.address_by_url,
                    pages=asset.pages,
                )
            )

    def cursor(self, **place: Any) -> PlanCursor:
        return PlanCursor(
            listed=self._listed,
            ready=self.ready_in_all,
            skipped=dict(self._skipped),
            failed=self._failed,
            failures=tuple(self._failures),
            **place,
        )

    def _fail(self, name: str, reason: str) -> None:
        self._failed += 1
        if len(self._failures) < self._max_failures:
            self._failures.append(AssetFailure(external_id=name[:200] or "?", reason=reason))
