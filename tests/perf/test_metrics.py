"""The benchmark's parsers and statistics, without any process or service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .accept_run import percentile
from .calls import ango_calls, exit_line_calls, probe_calls, service_total
from .memory import rss_growth

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
        "GET /files/<project_id>/<filename>": {"200": 50},
        "GET /v2/project/<project_id>/assets": {"200": 2},
        "GET /v2/project/<project_id>": {"200": 1},
    }
    calls = ango_calls(stats)
    assert (calls.imports, calls.downloads, calls.other) == (4, 50, 3)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0


def test_rss_growth_compares_the_first_and_last_quarter_of_the_run() -> None:
    samples = [(float(t), 1, (100 + t) * 1024) for t in range(0, 101)]  # 1 MB more per second
    growth = rss_growth(samples, start=0.0, end=100.0)
    assert growth is not None
    assert (growth.first_quarter_mb, growth.last_quarter_mb, growth.peak_mb) == (125, 200, 200)
    assert growth.growth_mb == 75
    assert rss_growth(samples, start=200.0, end=300.0) is None
