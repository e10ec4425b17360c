"""Counting one job's outcome, asset by asset."""

from __future__ import annotations

from dataclasses import dataclass, field

from handler.contract.messages import AssetFailure, AssetRef, JobCounts
from handler.contract.records import JobResult
from handler.prelabels import AssetLabels


@dataclass
class JobTally:
    labeled: int = 0
    empty: int = 0
    objects: int = 0
    dropped: int = 0
    failures: list[AssetFailure] = field(default_factory=list)

    def fail(self, asset: AssetRef, reason: str) -> None:
        self.failures.append(AssetFailure(external_id=asset.external_id, reason=reason[:200]))

    def predicted(self, labels: AssetLabels) -> None:
        self.dropped += labels.dropped
        if labels.item is None:
            self.empty += 1

    def imported(self, objects: int) -> None:
        self.labeled += 1
        self.objects += objects

    def result(self, job_id: str) -> JobResult:
        counts = JobCounts(
            assets_labeled=self.labeled,
            assets_empty=self.empty,
            assets_failed=len(self.failures),
            objects_created=self.objects,
            predictions_dropped=self.dropped,
        )
        return JobResult(job_id=job_id, counts=counts, failures=tuple(self.failures))
