"""The benchmark end to end at smoke size: fixed-latency on 16 assets, every mode, fair turns (an
8-asset run into a 200-asset one), OCR on 6 and the video row on one 10 s video (their modes (a) and
(c)), 2 workers, 5 ms of latency, two rounds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .options import QUICK, QUICK_ASSETS
from .report import HEADER

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS = QUICK_ASSETS["fixed-latency"]
OCR_ASSETS = QUICK_ASSETS["ocr"]  # a handful: about 0.5 s of CPU a picture
ROUNDS = 2
MODES = [
    "(a) model alone",
    "(b) stock BatchModelPlugin",
    "(c) product, 1 worker",
    "(d) product, 2 workers",
    "(e) field limit, 2 workers",
]
OCR_MODES = ["(a) model alone", "(c) product, 1 worker"]  # the video row's too
FAIR_BIG, FAIR_SMALL = QUICK["fair_assets"]
FAIR_ROWS = [
    ("(f) big run alone", FAIR_BIG),
    ("(f) small run alone", FAIR_SMALL),
    ("(f) big run, the small one clicked 2 s in", FAIR_BIG),
    ("(f) small run, clicked 2 s into the big one", FAIR_SMALL),
]


def _table(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def _median(text: str) -> float:
    return float(text.split(" ", 1)[0])


def test_quick_benchmark_fills_every_row_and_labels_every_asset(localstack: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    args = ["--quick", "--workers", "2", "--latency-ms", "5", "--rounds", str(ROUNDS)]  # --quick's sizes
    args += ["--models", "fixed-latency,ocr,video", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.bench", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    report = out.read_text()
    assert report.strip() in done.stdout

    header, _, *rows = _table(report)
    assert header == list(HEADER)
    _check_rows([row for row in rows if row[0] == "fixed-latency"])
    _check_ocr_rows([row for row in rows if row[0] == "ocr"])
    _check_video_rows([row for row in rows if row[0] == "video"])
    _check_fair_rows([row for row in rows if row[0] == "fair-turns"])

    targets = [line for line in report.splitlines() if line.startswith("- ") and "**" in line]
    assert len(targets) == 16
    # The Haar target (no Haar run) and the large rows' Hub calls (a quick run has no 4,000 assets).
    not_measured = [line for line in targets if "**not measured**" in line]
    assert len(not_measured) == 2 and "Haar" in not_measured[0] and "4000+ assets" in not_measured[1]
    assert any(line.startswith("- OCR: 1 worker") for line in targets)  # measured, met or not
    assert any(line.startswith("- video: 1 worker >=") and "sampled frames/s =" in line for line in targets)
    assert any(
        line.startswith("- video: 1 worker's peak RSS") and "peak - before" in line for line in targets
    )
    for name in ("listener accept p99", "worker RSS flat", "click → 1st pre-label", "Field limit (e)"):
        assert name in report
    fair = [line for line in targets if line.startswith("- Fair turns:")]
    assert len(fair) == 2 and not any("**not measured**" in line for line in fair), fair
    assert "at commit " in report


def _check_rows(rows: list[list[str]]) -> None:
    cell = {name: HEADER.index(name) for name in HEADER}
    assert [row[1] for row in rows] == MODES
    for row in rows:
        assert len(row) == len(HEADER) and all(row), row
        assert row[0] == "fixed-latency" and row[cell["runs"]] == str(ROUNDS) and row[3] == str(ASSETS)
        assert _median(row[cell["assets/s"]]) > 0
    assert rows[0][-1] == f"expects {ASSETS}"
    for row in rows[1:]:  # every asset pre-labeled once at the emulator, each downloaded once
        assert row[-1].startswith(f"{ASSETS} / {ASSETS}")
        assert row[cell["downloads/asset"]] == "1.00"
        assert _median(row[cell["Hub calls/asset"]]) > 0 and row[cell["click → 1st pre-label (s)"]] != "n/a"
    for row in rows[2:]:  # the product: SQS calls counted, worker RSS sampled, nothing failed
        assert _median(row[cell["SQS calls/asset"]]) > 0 and _median(row[cell["peak RSS/process (MB)"]]) > 0
        assert row[-1] == f"{ASSETS} / {ASSETS}, 0 failed"


def _check_ocr_rows(rows: list[list[str]]) -> None:
    """OCR's (a) and (c) only: every picture has text, so every asset is pre-labeled."""
    cell = {name: HEADER.index(name) for name in HEADER}
    assert [row[1] for row in rows] == OCR_MODES
    for row in rows:
        assert len(row) == len(HEADER) and all(row), row
        assert row[cell["runs"]] == str(ROUNDS) and row[3] == str(OCR_ASSETS)
        assert _median(row[cell["assets/s"]]) > 0
    assert rows[0][-1] == f"expects {OCR_ASSETS}"
    assert rows[1][-1] == f"{OCR_ASSETS} / {OCR_ASSETS}, 0 failed"


def _check_video_rows(rows: list[list[str]]) -> None:
    """One video a run, pre-labeled (the face is in every frame), read by the one worker."""
    cell = {name: HEADER.index(name) for name in HEADER}
    assert [row[1] for row in rows] == OCR_MODES
    for row in rows:
        assert len(row) == len(HEADER) and all(row), row
        assert row[cell["runs"]] == str(ROUNDS) and row[3] == "1" and _median(row[cell["assets/s"]]) > 0
    assert rows[0][-1] == "expects 1" and rows[1][-1] == "1 / 1, 0 failed"
    assert _median(rows[1][cell["peak RSS/process (MB)"]]) > 0


def _check_fair_rows(rows: list[list[str]]) -> None:
    """Each run, alone and beside the other, labeled every asset of its own project."""
    cell = {name: HEADER.index(name) for name in HEADER}
    assert [(row[1], int(row[3])) for row in rows] == FAIR_ROWS
    for row, (_, assets) in zip(rows, FAIR_ROWS, strict=True):
        assert row[cell["runs"]] == str(ROUNDS) and _median(row[cell["time (s)"]]) > 0
        assert row[-1] == f"{assets} / {assets}, 0 failed", row
