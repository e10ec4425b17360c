"""The benchmark end to end at smoke size: one model, 16 assets, 2 workers, 5 ms of latency."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .report import HEADER

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS = 16
MODES = [
    "(a) model alone",
    "(b) stock BatchModelPlugin",
    "(c) product, 1 worker",
    "(d) product, 2 workers",
]


def _table(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_quick_benchmark_fills_every_row_and_labels_every_asset(localstack: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    args = ["--quick", "--assets", str(ASSETS), "--workers", "2", "--latency-ms", "5"]
    args += ["--models", "fixed-latency", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.bench", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    report = out.read_text()
    assert report.strip() in done.stdout

    header, _, *rows = _table(report)
    assert header == list(HEADER)
    assert [row[1] for row in rows] == MODES
    for row in rows:
        assert len(row) == len(HEADER) and all(row), row
        assert row[0] == "fixed-latency" and row[2] == str(ASSETS)
        assert float(row[4]) > 0
    assert rows[0][-1] == f"expects {ASSETS}"
    for row in rows[1:]:  # every asset pre-labeled once at the emulator, each downloaded once
        assert row[-1] == f"{ASSETS} / {ASSETS}"
        assert row[8] == "1.00"
        assert float(row[6]) > 0 and row[11] != "n/a"
    for row in rows[2:]:
        assert float(row[9]) > 0 and float(row[10]) > 0  # SQS calls counted, worker RSS sampled

    targets = [line for line in report.splitlines() if line.startswith("- ") and "**" in line]
    assert len(targets) == 7
    assert sum("**not measured**" in line for line in targets) == 1  # the Haar target: no Haar run
    assert "listener accept p99" in report and "worker RSS flat" in report
