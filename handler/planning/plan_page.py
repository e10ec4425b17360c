"""One page of listed assets, sorted against the tasks listing: ready for a job, skipped (task not
To Do, already pre-labeled) or failed (no data URL), each with its reason (see planner.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from handler.contract.ango import TaskState
from handler.contract.messages import AssetFailure, AssetRef
from handler.contract.records import PlanCursor

TODO = "TODO"  # the one task status that takes pre-labels (Hub's docs)
ALREADY_PRELABELED = "already pre-labeled"


class PageTasks:
    """The tasks listing's answer for one page's externalIds, by asset and by externalId."""

    def __init__(self, states: Sequence[TaskState]) -> None:
        self._by_asset = {state.asset_id: state for state in states}
        # Counted over the whole project: the lookup is by externalId, not by batch.
        self._per_external_id = Counter(state.external_id for state in states)

    def of(self, asset_id: str) -> TaskState | None:
        return self._by_asset.get(asset_id)

    def shared(self, external_id: str) -> bool:
        return self._per_external_id[external_id] > 1

    def batches_of(self, asset: dict[str, Any]) -> set[str]:
        listed = asset.get("batches")
        if isinstance(listed, list):
            return {str(b) for b in listed}
        task = self.of(_text(asset.get("_id")))
        return set(task.batches) if task else set()


class PageOutcome:
    """Sorting one page's assets into ready, skipped (with why) and failed (with why)."""

    def __init__(self, cursor: PlanCursor, max_failures: int) -> None:
        self._listed, self._max_failures = cursor.listed, max_failures
        self._skipped, self._failed = Counter(cursor.skipped), cursor.failed
        self._failures = list(cursor.failures)
        self._ready_before = cursor.ready
        self.ready: list[AssetRef] = []

    @property
    def ready_in_all(self) -> int:
        """Assets taken for jobs so far, this page's included."""
        return self._ready_before + len(self.ready)

    def add(self, asset: dict[str, Any], tasks: PageTasks, existing: str) -> None:
        self._listed += 1
        asset_id, external_id, data = (
            _text(asset.get("_id")),
            _text(asset.get("externalId")),
            asset.get("data"),
        )
        if not isinstance(data, str) or not data or not asset_id or not external_id:
            self._fail(external_id or asset_id, "the asset has no data URL to read")
            return
        task = tasks.of(asset_id)
        if task is None or task.status != TODO:
            self._skipped[f"status {task.status if task else 'unknown'}"] += 1
        elif existing == "skip" and task.prelabeled:
            self._skipped[ALREADY_PRELABELED] += 1
        else:
            # Hub applies an import addressed by externalId to every asset with that id, in the
            # whole project: an id that other assets share is addressed by URL instead.
            shared = tasks.shared(external_id)
            self.ready.append(
                AssetRef(asset_id=asset_id, external_id=external_id, data_url=data, address_by_url=shared)
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
