"""Counting one job's outcome, asset by asset, and the figures `status` and the report show."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from handler.contract.messages import AssetFailure, AssetRef, JobCounts
from handler.contract.model import BoundingBox
from handler.contract.records import (
    MAX_SAMPLES_PER_JOB,
    SCORE_BINS,
    JobFigures,
    JobResult,
    SampleAsset,
    SampleBox,
)
from handler.outputs.prelabels import AssetLabels


@dataclass
class JobTally:
    labeled: int = 0
    empty: int = 0
    objects: int = 0
    dropped: int = 0
    below_min_score: int = 0
    over_max_objects: int = 0
    converted: int = 0
    answers: int = 0
    failures: list[AssetFailure] = field(default_factory=list)
    unfinished: list[AssetRef] = field(default_factory=list)
    cancelled: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # by media kind
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # by phase
    classes: Counter[str] = field(default_factory=Counter)
    score_bins: list[int] = field(default_factory=lambda: [0] * SCORE_BINS)
    unscored: int = 0
    samples: list[SampleAsset] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Adds the block's wall time to `phase` ("download", "model", "import")."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[phase] += time.monotonic() - start

    def fail(self, asset: AssetRef, reason: str) -> None:
        self.failures.append(AssetFailure(external_id=asset.external_id, reason=reason[:200]))
        self.unfinished.append(asset)

    def skip(self, kind: str) -> None:
        """Downloaded, and not media the model reads: counted by kind, not failed (a retry would
        only download it again)."""
        self.skipped[kind] += 1

    def cancel(self, assets: Sequence[AssetRef]) -> None:
        """Not processed: the run was cancelled before their turn."""
        self.cancelled += len(assets)
        self.unfinished.extend(assets)

    def absorb(self, earlier: JobResult) -> None:
        """Count what the job's earlier messages did (JobPart) as if this tally had done it."""
        c, f = earlier.counts, earlier.figures
        self.labeled += c.assets_labeled
        self.empty += c.assets_empty
        self.objects += c.objects_created
        self.dropped += c.predictions_dropped
        self.below_min_score += c.below_min_score
        self.over_max_objects += c.over_max_objects
        self.converted += c.objects_converted
        self.answers += c.answers_given
        self.cancelled += c.assets_cancelled
        self.skipped.update(c.assets_skipped)
        self.failures.extend(earlier.failures)
        self.unfinished.extend(earlier.unfinished)
        for phase in ("download", "model", "import"):
            self.seconds[phase] += getattr(f, f"seconds_{phase}")
        self.classes.update(f.classes)
        self.score_bins = [a + b for a, b in zip(self.score_bins, f.score_bins, strict=False)]
        self.unscored += f.unscored
        self.samples = [*f.samples, *self.samples][:MAX_SAMPLES_PER_JOB]
        self.started_at = min(self.started_at, f.started_at or self.started_at)

    def predicted(self, labels: AssetLabels) -> None:
        self.dropped += labels.dropped
        self.below_min_score += labels.below_min_score
        self.over_max_objects += labels.over_max_objects
        self.converted += labels.converted
        if labels.item is None:
            self.empty += 1

    def imported(
        self, objects: int, asset: AssetRef | None = None, labels: AssetLabels | None = None
    ) -> None:
        self.labeled += 1
        self.objects += objects
        if labels is not None:
            self.answers += labels.answers
            self._figures_of(labels)
            if asset is not None and len(self.samples) < MAX_SAMPLES_PER_JOB:
                self.samples.append(_sample(asset, labels))

    def _figures_of(self, labels: AssetLabels) -> None:
        for prediction in (*labels.kept, *labels.answered):
            self.classes[prediction.class_name] += 1
            if prediction.score is None:
                self.unscored += 1
            else:
                self.score_bins[min(int(prediction.score * SCORE_BINS), SCORE_BINS - 1)] += 1

    def result(self, job_id: str, queued_at: float | None = None) -> JobResult:
        counts = JobCounts(
            assets_labeled=self.labeled,
            assets_empty=self.empty,
            assets_failed=len(self.failures),
            objects_created=self.objects,
            predictions_dropped=self.dropped,
            below_min_score=self.below_min_score,
            over_max_objects=self.over_max_objects,
            assets_cancelled=self.cancelled,
            objects_converted=self.converted,
            answers_given=self.answers,
            assets_skipped=dict(self.skipped),
        )
        figures = JobFigures(
            queued_at=queued_at,
            started_at=self.started_at,
            finished_at=time.time(),
            seconds_download=round(self.seconds["download"], 3),
            seconds_model=round(self.seconds["model"], 3),
            seconds_import=round(self.seconds["import"], 3),
            classes=dict(self.classes),
            score_bins=tuple(self.score_bins),
            unscored=self.unscored,
            samples=tuple(self.samples),
        )
        return JobResult(
            job_id=job_id,
            counts=counts,
            failures=tuple(self.failures),
            figures=figures,
            unfinished=tuple(self.unfinished),
        )


def _sample(asset: AssetRef, labels: AssetLabels) -> SampleAsset:
    boxes = tuple(
        SampleBox(model_class=p.class_name, x=s.x, y=s.y, width=s.width, height=s.height, score=p.score)
        for p in labels.kept
        if isinstance(s := p.shape, BoundingBox)
    )
    url = asset.data_url.split("?", 1)[0].split("#", 1)[0]  # a signature in the query stays out
    return SampleAsset(asset_id=asset.asset_id, external_id=asset.external_id, data_url=url, boxes=boxes)
