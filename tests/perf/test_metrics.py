"""The benchmark's parsers and statistics, without any process or service."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .accept_run import percentile
from .calls import ango_calls, exit_line_calls, probe_calls, service_total
from .fair_turns import BIG_ALONE, SMALL_ALONE, big_beside, small_beside
from .memory import rss_drift
from .notes import _jobs
from .options import BenchOptions
from .results import ModeRow, RunSample, mode_field
from .spread import spread
from .startup import start_times
from .targets import (
    fair_turns_targets,
    field_target,
    large_hub_target,
    per_asset_target,
    ratio_target,
    scaling_share,
)

pytestmark = pytest.mark.unit


def test_exit_line_is_found_in_json_or_text_logs_and_the_last_one_wins() -> None:
    log = "\n".join(
        [
            '{"level":"INFO","message":"listener stopped; aws calls: sqs=1 s3=2 kms=3"}',
            "worker stopped",
            "aws calls: sqs=10 s3=20 kms=30",
        ]
    )
    assert exit_line_calls(log) == {"sqs": 10, "s3": 20, "kms": 30}
    assert exit_line_calls("no such line") is None


def test_probe_files_are_summed_over_the_given_processes(tmp_path: Path) -> None:
    for pid, receives in ((1, 3), (2, 4), (3, 100)):
        counts = {"sqs": {"ReceiveMessage": receives, "SendMessage": 1}, "s3": {"GetObject": 2}}
        (tmp_path / f"aws-{pid}.json").write_text(json.dumps({"pid": pid, "calls": counts}))
    (tmp_path / "aws-4.json").write_text("{half a file")
    calls = probe_calls(tmp_path, [1, 2, 4, 5])
    assert calls[("sqs", "ReceiveMessage")] == 7
    assert service_total(calls, "sqs") == 9 and service_total(calls, "s3") == 4


def test_ango_calls_split_imports_downloads_and_the_rest() -> None:
    stats = {
        "POST /v2/import/labels": {"200": 3, "429": 1},
        "GET /files/<project_id>/<filename>": {"200": 50, "429": 7},
        "GET /v2/project/<project_id>/assets": {"200": 2},
        "GET /v2/project/<project_id>": {"200": 1, "429": 2},
        "GET /<unmatched>": {"404": 5},
    }
    calls = ango_calls(stats)
    assert (calls.imports, calls.downloads, calls.other) == (4, 57, 5)
    assert calls.hub == 9 and calls.throttled == 3  # only /v2 calls: downloads are not Hub's API


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0


def test_rss_drift_joins_the_runs_and_compares_the_first_and_last_quarter_of_the_samples() -> None:
    runs = [[(float(t), 1, (100 + t) * 1024) for t in range(start, start + 50)] for start in (0, 50)]
    growth = rss_drift([runs[1][::-1], runs[0]][::-1])  # each run's samples are put in time order
    assert growth is not None
    assert (growth.first_quarter_mb, growth.last_quarter_mb, growth.peak_mb) == (124, 199, 199)
    assert growth.growth_mb == 75 and growth.samples == 100
    assert rss_drift([[(0.0, 1, 1024)]]) is None


def test_spread_is_median_min_and_max_and_shows_one_figure_when_runs_agree() -> None:
    found = spread([3.0, None, 1.0, 2.0, float("nan")])
    assert found is not None and (found.median, found.low, found.high, found.runs) == (2.0, 1.0, 3.0, 3)
    assert found.text(1) == "2.0 (1.0\N{EN DASH}3.0)"
    same = spread([0.0291, 0.0294])
    assert same is not None and same.text(2) == "0.03"
    assert spread([None]) is None


def _row(mode: str, rates: list[float], hub: int = 0) -> ModeRow:
    return ModeRow("m", mode, runs=[RunSample(assets=100, seconds=100 / r, hub_calls=hub) for r in rates])


def test_a_ratio_target_is_judged_on_medians_not_on_the_best_run() -> None:
    product, alone = (
        _row("(c) product, 1 worker", [90.0, 99.0, 91.0]),
        _row("(a) model alone", [100.0, 95.0, 100.0]),
    )
    target = ratio_target("c >= 0.95 a", product, alone, 0.95)
    assert target.met is False  # 91 / 100; one round alone reached 99 / 95
    assert "0.91x" in target.figures and "round by round 0.90x, 1.04x, 0.91x" in target.figures
    assert ratio_target("x", None, alone, 1.0).met is None


def test_a_per_asset_target_takes_each_product_rows_median() -> None:
    rows = [_row("(c) product, 1 worker", [1.0] * 3, hub=3), _row("(d) product, 8 workers", [1.0] * 3, hub=2)]
    rows.append(_row("(b) stock BatchModelPlugin", [1.0], hub=50))  # not the product: not judged
    assert per_asset_target("hub", rows, lambda r: r.hub_calls, 0.03).met is True
    rows[1].runs += [RunSample(assets=100, seconds=1.0, hub_calls=9) for _ in range(4)]  # median 0.09
    assert per_asset_target("hub", rows, lambda r: r.hub_calls, 0.03).met is False


def test_the_large_rows_hub_target_judges_only_rows_of_4000_assets_or_more() -> None:
    small = _row("(c) product, 1 worker", [1.0] * 3, hub=3)  # 100 assets a run: 0.03 each
    large = _row("(d) product, 8 workers", [1.0] * 3, hub=2)
    large.runs = [RunSample(assets=4068, seconds=10.0, hub_calls=73) for _ in range(3)]  # 0.018
    assert (
        large_hub_target([small, large]).met is True and "0.018" in large_hub_target([small, large]).figures
    )
    large.runs = [RunSample(assets=4068, seconds=10.0, hub_calls=114) for _ in range(3)]  # 0.028
    assert large_hub_target([small, large]).met is False
    assert large_hub_target([small]).met is None  # no large row: not run


def test_the_planner_sends_the_first_page_as_jobs_at_once_then_jobs_of_job_size() -> None:
    assert _jobs(4068, 128) == 32 and _jobs(740, 128) == 6 and _jobs(2020, 128) == 16
    assert _jobs(16, 4) == 4 and _jobs(100, 128) == 1


def test_start_times_come_from_the_workers_job_lines_of_this_run_only() -> None:
    def line(second: int, message: str) -> str:
        stamp = f"2026-01-01 00:00:{second:02d},500+0000"
        return json.dumps({"level": "INFO", "message": message, "timestamp": stamp})

    clicked = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    worker_0 = "\n".join(
        [line(1, "job r1/plan: start"), line(2, "job r1/000000: start"), line(9, "job r1/plan: done")]
    )
    worker_1 = "\n".join(
        [line(3, "job r1/000001: start"), "not json r1", line(4, "job r2/000002: start"), line(5, "other r1")]
    )
    times = start_times([worker_0, worker_1], "r1", clicked, slots=2)
    assert (times.plan_started, times.first_job_started, times.slots_busy, times.plan_done) == (
        1.5,
        2.5,
        3.5,
        9.5,
    )
    assert start_times([worker_0], "r1", clicked, slots=4).slots_busy == 2.5  # fewer jobs than slots
    assert "every job slot busy 3.50 s" in times.text()


def _field_row(runs: list[tuple[int, int, float]], workers: int = 8) -> ModeRow:
    """(Hub calls, 429s, seconds) per run, every asset of 1000 labeled."""
    row = ModeRow("fixed-latency", mode_field(workers), workers, expected_prelabeled=1000)
    row.runs = [
        RunSample(1000, seconds, prelabeled=1000, failed_assets=0, hub_calls=calls, throttled=throttled)
        for calls, throttled, seconds in runs
    ]
    return row


def test_field_target_wants_most_of_the_budget_used_and_few_429s() -> None:
    options = BenchOptions()  # Hub's 20 calls per 12 s: 100 a minute
    used = field_target(_field_row([(92, 0, 60.0), (95, 0, 60.0), (90, 0, 60.0)]), options)
    assert used.met is True and "92% of the budget" in used.figures
    idle = field_target(_field_row([(80, 0, 60.0)] * 3), options)  # 80% of the budget: too little
    assert idle.met is False
    throttled = field_target(_field_row([(100, 2, 60.0)] * 3), options)  # 2% of calls refused
    assert throttled.met is False and "2.00% of Hub calls" in throttled.figures
    lost = _field_row([(95, 0, 60.0)] * 3)
    lost.runs[1] = RunSample(1000, 60.0, prelabeled=999, failed_assets=1, hub_calls=95, throttled=0)
    assert field_target(lost, options).met is False
    assert field_target(None, options).met is None


def test_scaling_share_is_issue_23s_per_fleet_size() -> None:
    assert scaling_share(8) == 0.90 and scaling_share(32) == 0.85


def _fair_rows(
    big_alone: float, small_alone: float, big_beside_s: float, small_beside_s: float
) -> list[ModeRow]:
    after = BenchOptions().fair_click_after_s
    rows = []
    for mode, assets, seconds in (
        (BIG_ALONE, 10_000, big_alone),
        (SMALL_ALONE, 100, small_alone),
        (big_beside(after), 10_000, big_beside_s),
        (small_beside(after), 100, small_beside_s),
    ):
        rows.append(ModeRow("fair-turns", mode, runs=[RunSample(assets, seconds)] * 3))
    return rows


def test_fair_turns_targets_judge_the_small_runs_wait_and_the_big_runs_growth() -> None:
    options = BenchOptions()
    small, big = fair_turns_targets(_fair_rows(70.0, 8.0, 76.0, 15.0), options)
    assert small.met is True and "1.88x" in small.figures
    assert big.met is True and "+6.0 s" in big.figures
    small, big = fair_turns_targets(_fair_rows(70.0, 8.0, 79.0, 17.0), options)
    assert small.met is False and big.met is False  # 2.12x; 9 s more than alone, beyond the 8
    assert all(t.met is None for t in fair_turns_targets([], options))
