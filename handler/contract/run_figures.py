"""A run's figures from its ledger records: totals (retries counted in place of what they retried),
where the time went, what the model found, its failures, its pace; and the estimate a new run
logs from the pace of earlier ones. Read by `ango-batch status` and `report` and by the relay."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handler.contract.ledger import Ledger
from handler.contract.messages import AssetFailure, AssetRef, JobCounts, RunPlanned
from handler.contract.records import (
    SCORE_BINS,
    JobResult,
    RetryRecord,
    RunPlan,
    RunRecord,
    SampleAsset,
)

ESTIMATE_FROM_RUNS = 5  # earlier runs whose pace makes a new run's estimate
ESTIMATE_LOOK_BACK = 50  # runs of the index looked at to find them


def sum_counts(counts: Sequence[JobCounts]) -> JobCounts:
    total: dict[str, Any] = JobCounts().model_dump()  # zeros, and no count by kind
    for c in counts:
        total = {name: _plus(value, getattr(c, name)) for name, value in total.items()}
    return JobCounts(**total)


def _plus(a: Any, b: Any, sign: int = 1) -> Any:
    """A count plus (or minus) another: numbers, or counts by kind (a dict), key by key."""
    if isinstance(b, dict):
        merged = Counter(a or {})
        merged.update({key: sign * n for key, n in b.items()})
        return {key: n for key, n in merged.items() if n > 0}
    return a + sign * b


def net_counts(jobs: Sequence[JobCounts], replaced: Sequence[JobCounts]) -> JobCounts:
    """Every job's counts, less what retried assets had counted before their retry."""
    total, earlier = sum_counts(jobs), sum_counts(replaced)
    return JobCounts(
        **{name: _plus(getattr(total, name), getattr(earlier, name), -1) for name in JobCounts.model_fields}
    )


def skipped_by_why(plan: RunPlan | None, totals: JobCounts) -> dict[str, int]:
    """Assets skipped while planning (by their URL or their task) and by the jobs (by their content)."""
    merged = Counter(plan.skipped if plan else {})
    merged.update(totals.assets_skipped)
    return dict(merged)


def done_assets(counts: JobCounts) -> int:
    skipped = sum(counts.assets_skipped.values())
    return counts.assets_labeled + counts.assets_empty + counts.assets_failed + skipped


@dataclass
class RunFigures:
    results: list[JobResult]
    retries: list[RetryRecord] = field(default_factory=list)

    @property
    def superseded(self) -> set[str]:
        """Jobs whose failed and unprocessed assets a retry took over."""
        return {job_id for retry in self.retries for job_id in retry.from_jobs}

    @property
    def current(self) -> list[JobResult]:
        superseded = self.superseded
        return [result for result in self.results if result.job_id not in superseded]

    def totals(self) -> JobCounts:
        return net_counts(
            [result.counts for result in self.results], [retry.replaces for retry in self.retries]
        )

    def failures(self) -> list[AssetFailure]:
        return [failure for result in self.current for failure in result.failures]

    def unfinished(self) -> list[AssetRef]:
        return [asset for result in self.current for asset in result.unfinished]

    def seconds(self) -> dict[str, float]:
        """Summed over jobs (jobs overlap: this is work time, not wall time)."""
        figures = [result.figures for result in self.results]
        return {
            "queue wait": sum(f.queue_wait for f in figures),
            "download": sum(f.seconds_download for f in figures),
            "model": sum(f.seconds_model for f in figures),
            "import": sum(f.seconds_import for f in figures),
        }

    def classes(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for result in self.results:
            found.update(result.figures.classes)
        return found

    def score_bins(self) -> tuple[list[int], int]:
        """The histogram of kept predictions' scores (SCORE_BINS bins of 0.1) and the unscored."""
        bins = [0] * SCORE_BINS
        for result in self.results:
            for n, count in enumerate(result.figures.score_bins[:SCORE_BINS]):
                bins[n] += count
        return bins, sum(result.figures.unscored for result in self.results)

    def timeline(self) -> list[tuple[float, int]]:
        """(finished at, assets done by then), one point per timed job, in time order."""
        timed = sorted(
            (r.figures.finished_at, done_assets(r.counts))
            for r in self.results
            if r.figures.finished_at is not None
        )
        points, done = [], 0
        for at, assets in timed:
            done += assets
            points.append((at, done))
        return points

    def samples(self, limit: int) -> list[SampleAsset]:
        return [sample for result in self.results for sample in result.figures.samples][:limit]

    def wall_seconds(self) -> float | None:
        started = [r.figures.started_at for r in self.results if r.figures.started_at is not None]
        finished = [r.figures.finished_at for r in self.results if r.figures.finished_at is not None]
        return max(finished) - min(started) if started and finished else None

    def seconds_per_asset(self) -> float | None:
        """The run's pace on the wall clock (jobs in parallel), from its timed jobs."""
        wall, timed = self.wall_seconds(), [r for r in self.results if r.figures.finished_at is not None]
        done = sum(done_assets(r.counts) for r in timed)
        return wall / done if wall is not None and done else None


def to_label(plan: RunPlan | RunPlanned) -> int:
    """Assets the run's jobs carry: all selected, less those skipped or failed while planning."""
    return max(0, plan.total_assets - sum(plan.skipped.values()) - plan.failed)


def eta_seconds(figures: RunFigures, plan: RunPlan | None, now: float | None = None) -> float | None:
    """Time left at the pace so far (assets done since the first job started)."""
    started = [r.figures.started_at for r in figures.results if r.figures.started_at is not None]
    done = done_assets(figures.totals())
    if plan is None or not started or not done:
        return None
    left = to_label(plan) - done - figures.totals().assets_cancelled
    return max(0.0, left) * ((now or time.time()) - min(started)) / done


def earlier_pace(ledger: Ledger, run_id: str) -> tuple[float, int] | None:
    """Mean seconds per asset of up to ESTIMATE_FROM_RUNS earlier answered runs whose final record
    has their pace, and how many runs that is; None if the ledger has none. Reads final records
    only (at most ESTIMATE_LOOK_BACK), never a run's job results."""
    paces = []
    for other in ledger.recent_run_ids(ESTIMATE_LOOK_BACK):
        final = ledger.load_final(other) if other != run_id else None
        if final is not None and final.seconds_per_asset is not None:
            paces.append(final.seconds_per_asset)
        if len(paces) >= ESTIMATE_FROM_RUNS:
            break
    return (sum(paces) / len(paces), len(paces)) if paces else None


def estimate_line(ledger: Ledger, run: RunRecord, plan: RunPlanned) -> str:
    """The line every run logs once planned: how long it should take at the pace of earlier runs."""
    assets, pace = to_label(plan), earlier_pace(ledger, run.run_id)
    if pace is None:
        return f"{assets} assets to label; no earlier runs to estimate from."
    seconds = assets * pace[0]
    whole = max(1, round(seconds))
    took = f"{seconds / 60:.1f} minutes" if seconds >= 60 else f"{whole} second{'s' if whole > 1 else ''}"
    return f"{assets} assets, about {took} at the current rate (from {pace[1]} earlier runs)."
