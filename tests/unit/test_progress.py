import pytest

from handler.contract.messages import AssetFailure, JobCounts, JobFinished, RunFailed, RunPlanned
from handler.contract.records import RunRecord
from listener.progress import MAX_FAILURE_LINES, RunProgress

pytestmark = pytest.mark.unit
RUN = RunRecord(
    run_id="r1",
    session="s1",
    plugin_id="p",
    project_id="proj",
    org_id="o",
    run_by="u",
    batches=(),
    targets=(),
    config={},
    api_key_ciphertext="x",
    accepted_at=0.0,
)


def finished(job_id, labeled=2, failed=0, objects=3):
    failures = tuple(
        AssetFailure(external_id=f"{job_id}-{i}", reason="not a readable image") for i in range(failed)
    )
    counts = JobCounts(assets_labeled=labeled, assets_failed=failed, objects_created=objects)
    return JobFinished(run_id="r1", job_id=job_id, counts=counts, failures=failures)


def test_run_completes_when_every_planned_job_reported_once():
    progress = RunProgress(RUN)
    progress.apply(RunPlanned(run_id="r1", total_assets=5, total_jobs=2), 0)
    lines = progress.apply(finished("000000", labeled=2, failed=1), 0)
    assert ("WARNING", "Asset 000000-0: not a readable image") in lines
    assert any(level == "INFO" and "Progress: 3/5" in msg for level, msg in lines)
    assert progress.apply(finished("000000"), 0) == []  # a redelivered status counts once
    assert not progress.complete
    progress.apply(finished("000001", labeled=2), 0)
    assert progress.complete
    message, error = progress.final_message(now=12.5)
    assert not error
    assert message.startswith("Pre-labeled 4 of 5 assets with 6 objects in 12.5 s")
    assert "1 assets failed" in message


def test_empty_selection_finishes_with_a_clear_message():
    progress = RunProgress(RUN)
    progress.apply(RunPlanned(run_id="r1", total_assets=0, total_jobs=0), 0)
    assert progress.complete
    assert progress.final_message() == (
        "No assets match the selected batches; nothing was pre-labeled.",
        False,
    )


def test_run_failure_ends_the_run_as_an_error():
    progress = RunProgress(RUN)
    progress.apply(RunFailed(run_id="r1", reason="Ango Hub answered 401"), 0)
    assert progress.complete
    assert progress.final_message() == ("Run failed: Ango Hub answered 401", True)


def test_failure_lines_are_capped_and_progress_is_rate_limited():
    progress = RunProgress(RUN)
    progress.apply(RunPlanned(run_id="r1", total_assets=10_000, total_jobs=100), 3600)
    warnings = infos = 0
    for n in range(30):
        for level, _ in progress.apply(finished(f"{n:06d}", labeled=0, failed=5), 3600):
            warnings += level == "WARNING"
            infos += level == "INFO"
    assert warnings == MAX_FAILURE_LINES
    assert infos == 1  # one progress line in the hour-long interval
