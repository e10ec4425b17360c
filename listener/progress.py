"""One run's progress as the listener sees it: status events in, user-facing log lines out.

Everything here can be rebuilt from the ledger (run, plan, job results), so a restarted listener
picks a run up where it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from handler.contract.messages import JobCounts, JobFinished, RunFailed, RunPlanned, is_retry_job
from handler.contract.records import JobResult, RetryRecord, RunPlan, RunRecord
from handler.contract.run_figures import done_assets, net_counts, skipped_by_why, sum_counts

MAX_FAILURE_LINES = 50  # per run; the rest are counted in the final message
LogLine = tuple[str, str]  # (level, message)


@dataclass
class RunProgress:
    run: RunRecord
    plan: RunPlan | None = None
    jobs: dict[str, JobCounts] = field(default_factory=dict)
    failed_reason: str | None = None
    failure_lines: int = 0
    last_progress_at: float | None = None  # monotonic time of the last progress line
    retries: dict[int, RetryRecord] = field(default_factory=dict)
    ran: tuple[float, float] | None = None  # first job started, last job finished (epoch seconds)

    def restore(
        self, plan: RunPlan | None, results: list[JobResult], retries: list[RetryRecord] | None = None
    ) -> None:
        self.plan = plan
        self.jobs.update({result.job_id: result.counts for result in results})
        self.retries.update({retry.round: retry for retry in retries or ()})
        for result in results:
            self._ran(result.figures.started_at, result.figures.finished_at)

    def apply(self, event: RunPlanned | JobFinished | RunFailed, interval: float) -> list[LogLine]:
        if isinstance(event, RunFailed):
            self.failed_reason = event.reason
            return [("ERROR", event.reason)]
        if isinstance(event, RunPlanned):
            self.plan = RunPlan.of(event)
            lines = [("INFO", f"Listed {event.total_assets} assets: {_planned(self.plan)}.")]
            return lines + self._plan_failure_lines(self.plan)
        if event.job_id in self.jobs:  # a redelivered status: counted once
            return []
        self.jobs[event.job_id] = event.counts
        self._ran(event.started_at, event.finished_at)
        return self._failure_lines(event) + self._progress_line(interval)

    def _ran(self, started: float | None, finished: float | None) -> None:
        if started is not None and finished is not None:
            first, last = self.ran or (started, finished)
            self.ran = (min(first, started), max(last, finished))

    def seconds_per_asset(self) -> float | None:
        """The run's pace on the wall clock (jobs in parallel), from the jobs that said when they ran."""
        done = done_assets(sum_counts(list(self.jobs.values())))
        return (self.ran[1] - self.ran[0]) / done if self.ran is not None and done else None

    @property
    def complete(self) -> bool:
        if self.failed_reason is not None:
            return True
        planned = sum(1 for job_id in self.jobs if not is_retry_job(job_id))
        return self.plan is not None and planned >= self.plan.total_jobs

    @property
    def cancelled(self) -> bool:
        """Cut short by a cancel: planning stopped, or some job found the run cancelled."""
        return (self.plan is not None and self.plan.cancelled) or self.totals().assets_cancelled > 0

    def retry_done(self, round_: int) -> bool:
        retry = self.retries.get(round_)
        return retry is not None and all(job_id in self.jobs for job_id in retry.jobs)

    def totals(self) -> JobCounts:
        """Every job's counts, less what retried assets had counted before their retry."""
        return net_counts(list(self.jobs.values()), [retry.replaces for retry in self.retries.values()])

    def final_message(self, now: float | None = None) -> tuple[str, bool]:
        """The message that ends the run, and whether it is an error."""
        if self.failed_reason is not None:
            return f"Run failed: {self.failed_reason}", True
        assert self.plan is not None
        if self.plan.total_assets == 0 and not self.cancelled:
            return "No assets match the selected batches; nothing was pre-labeled.", False
        t = self.totals()
        elapsed = (now or time.time()) - self.run.accepted_at
        message = f"{self._headline(t)} in {elapsed:.1f} s; {t.assets_empty} assets had nothing to label; "
        skipped = skipped_by_why(self.plan, t)
        if skipped:
            message += f"{sum(skipped.values())} assets skipped ({_reasons(skipped)}); "
        message += f"{t.assets_failed + self.plan.failed} assets failed"
        if t.assets_cancelled:
            message += f"; {t.assets_cancelled} assets not processed"
        return message + _dropped(t) + _converted(t) + ".", False

    def _headline(self, t: JobCounts) -> str:
        assert self.plan is not None
        total = self.plan.total_assets
        if self.cancelled:
            done = done_assets(t)
            return (
                f"Cancelled after {done} of {total} assets: pre-labeled {t.assets_labeled} "
                f"with {t.objects_created} objects{_answers(t)}"
            )
        labeled = f"{t.assets_labeled} of {total} assets"
        return f"Pre-labeled {labeled} with {t.objects_created} objects{_answers(t)}"

    def _plan_failure_lines(self, plan: RunPlan) -> list[LogLine]:
        return self._failure_lines(
            JobFinished(run_id=self.run.run_id, job_id="plan", counts=JobCounts(), failures=plan.failures)
        )

    def _failure_lines(self, event: JobFinished) -> list[LogLine]:
        lines = []
        for failure in event.failures:
            if self.failure_lines >= MAX_FAILURE_LINES:
                break
            self.failure_lines += 1
            lines.append(("WARNING", f"Asset {failure.external_id}: {failure.reason}"))
        return lines

    def _progress_line(self, interval: float) -> list[LogLine]:
        now = time.monotonic()
        recent = self.last_progress_at is not None and now - self.last_progress_at < interval
        if self.complete or recent:
            return []
        self.last_progress_at = now
        t = self.totals()
        done = done_assets(t)
        if self.plan is None:  # still listing: jobs run while later pages are read
            return [("INFO", f"Progress: {done} assets done, {t.assets_failed} failed; still listing assets")]
        done += self.plan.failed + sum(self.plan.skipped.values())
        percent = 100 * done // max(1, self.plan.total_assets)
        failed = t.assets_failed + self.plan.failed
        return [("INFO", f"Progress: {done}/{self.plan.total_assets} assets ({percent}%), {failed} failed")]


def _dropped(t: JobCounts) -> str:
    parts = []
    if t.predictions_dropped:
        parts.append(f"{t.predictions_dropped} predictions of unmapped classes")
    if t.below_min_score:
        parts.append(f"{t.below_min_score} below min_score")
    if t.over_max_objects:
        parts.append(f"{t.over_max_objects} over max_objects")
    return f"; dropped {', '.join(parts)}" if parts else ""


def _answers(t: JobCounts) -> str:
    return f" and {t.answers_given} classification answers" if t.answers_given else ""


def _converted(t: JobCounts) -> str:
    if not t.objects_converted:
        return ""
    return f"; {t.objects_converted} objects converted to their mapped tool's shape"


def _planned(plan: RunPlan) -> str:
    parts = [f"{plan.total_jobs} jobs queued"]
    if plan.skipped:
        parts.append(f"{sum(plan.skipped.values())} skipped ({_reasons(plan.skipped)})")
    if plan.failed:
        parts.append(f"{plan.failed} cannot be read")
    return ", ".join(parts)


def _reasons(skipped: dict[str, int]) -> str:
    """`{"status COMPLETED": 2, "already pre-labeled": 3}` -> "3 already pre-labeled, 2 status COMPLETED"."""
    return ", ".join(
        f"{count} {why}" for why, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    )
