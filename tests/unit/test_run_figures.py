import pytest

from handler.contract.messages import AssetFailure, AssetRef, JobCounts
from handler.contract.records import FinalRecord, JobFigures, JobResult, RetryRecord, RunPlan
from handler.contract.run_figures import RunFigures, eta_seconds, to_label

pytestmark = pytest.mark.unit
REF = AssetRef(asset_id="a", external_id="e", data_url="https://h/a.png")


def result(job_id: str, labeled: int, failed: int = 0, start: float = 0.0, end: float = 10.0) -> JobResult:
    figures = JobFigures(
        queued_at=start - 1,
        started_at=start,
        finished_at=end,
        seconds_download=1.0,
        seconds_model=2.0,
        seconds_import=0.5,
        classes={"Car": labeled},
        score_bins=(0,) * 9 + (labeled,),
    )
    failures = tuple(AssetFailure(external_id=f"{job_id}-{n}", reason="404") for n in range(failed))
    counts = JobCounts(assets_labeled=labeled, assets_failed=failed, objects_created=labeled)
    return JobResult(
        job_id=job_id, counts=counts, failures=failures, figures=figures, unfinished=(REF,) * failed
    )


def test_a_result_written_before_figures_existed_still_parses() -> None:
    old = '{"job_id": "000000", "counts": {"assets_labeled": 2}, "failures": [], "dead_lettered": false}'
    parsed = JobResult.model_validate_json(old)
    assert parsed.figures.started_at is None and parsed.figures.queue_wait == 0.0 and parsed.unfinished == ()


def test_figures_add_up_over_jobs_and_a_retry_counts_in_place_of_what_it_retried() -> None:
    retry = RetryRecord(
        round=1,
        jobs=("r1-000000",),
        from_jobs=("000001",),
        assets=2,
        replaces=JobCounts(assets_failed=2),
        requested_at=30.0,
    )
    results = [
        result("000000", 4),
        result("000001", 2, failed=2, start=5, end=20),
        result("r1-000000", 2, start=40, end=45),
    ]
    figures = RunFigures(results, [retry])
    totals = figures.totals()
    assert (totals.assets_labeled, totals.assets_failed, totals.objects_created) == (8, 0, 8)
    assert figures.failures() == [] and figures.unfinished() == []
    assert figures.classes() == {"Car": 8}
    assert figures.score_bins() == ([0] * 9 + [8], 0)
    assert figures.seconds() == {"queue wait": 3.0, "download": 3.0, "model": 6.0, "import": 1.5}
    assert figures.timeline() == [(10.0, 4), (20.0, 8), (45.0, 10)]
    assert figures.wall_seconds() == 45.0 and figures.seconds_per_asset() == 4.5


def test_eta_is_what_is_left_at_the_pace_so_far() -> None:
    plan = RunPlan(total_assets=110, total_jobs=10, skipped={"status COMPLETED": 10})
    assert to_label(plan) == 100
    figures = RunFigures([result("000000", 20, start=0.0, end=10.0)])
    assert eta_seconds(figures, plan, now=10.0) == pytest.approx(40.0)  # 80 left at 0.5 s each
    assert eta_seconds(RunFigures([]), plan) is None


_PACES = {"old1": 0.5, "older": None, "old2": 1.5}


class _Ledger:
    """Two earlier answered runs, at 0.5 and 1.5 s per asset, one answered before paces were
    recorded, and the run being estimated."""

    def recent_run_ids(self, limit: int) -> list[str]:
        return ["new", "old1", "older", "old2"]

    def load_final(self, run_id: str) -> FinalRecord | None:
        if run_id not in _PACES:
            return None
        return FinalRecord(message="done", error=False, seconds_per_asset=_PACES[run_id])


def test_the_estimate_is_the_mean_pace_of_earlier_runs() -> None:
    from handler.contract.messages import RunPlanned
    from handler.contract.run_figures import estimate_line

    run = type("Run", (), {"run_id": "new"})()
    planned = RunPlanned(run_id="new", total_assets=130, total_jobs=2, skipped={"already pre-labeled": 10})
    line = estimate_line(_Ledger(), run, planned)  # type: ignore[arg-type]
    assert line == "120 assets, about 2.0 minutes at the current rate (from 2 earlier runs)."
    small = RunPlanned(run_id="new", total_assets=1, total_jobs=1)
    assert (
        estimate_line(_Ledger(), run, small)
        == "1 assets, about 1 second at the current rate (from 2 earlier runs)."
    )  # type: ignore[arg-type]


def test_counts_by_kind_add_up_and_retries_take_theirs_away() -> None:
    from handler.contract.messages import JobCounts
    from handler.contract.run_figures import done_assets, net_counts, sum_counts

    jobs = [
        JobCounts(assets_labeled=2, assets_skipped={"video": 1}),
        JobCounts(assets_failed=1, assets_skipped={"video": 2, "document": 1}),
    ]
    total = sum_counts(jobs)
    assert total.assets_skipped == {"video": 3, "document": 1} and done_assets(total) == 7
    net = net_counts(jobs, [JobCounts(assets_failed=1, assets_skipped={"document": 1})])
    assert net.assets_failed == 0 and net.assets_skipped == {"video": 3}
