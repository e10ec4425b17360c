"""The benchmark's report as markdown: when and on what it ran, one table (every figure the median
of its runs, the spread min-max beside it), the targets (met / NOT met, judged on medians), notes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from .accounting import localstack_background, median_split
from .figures import figures
from .options import BenchOptions
from .results import MODE_ALONE, BenchResults, ModeRow
from .spread import DASH, Spread, ratio
from .targets import find_row, targets

NA = "n/a"
REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "model",
    "mode",
    "runs",
    "assets",
    "time (s)",
    "assets/s",
    "vs (a)",
    "click → 1st pre-label (s)",
    "Hub calls/asset",
    "429s",
    "import calls/asset",
    "SQS calls/asset",
    "downloads/asset",
    "peak RSS/process (MB)",
    "CPU: machine busy / own cores",
    "CPU/asset (core-ms): product / test bed",
    "pre-labeled / expected",
)


def render(results: BenchResults, options: BenchOptions) -> str:
    parts = ["## Benchmark", "", run_line(results), "", *table(results.rows), ""]
    parts += ["## Targets", "", *(t.line() for t in targets(results, options)), ""]
    parts += ["## Figures and notes", "", *(f"- {note}" for note in figures(results, options)), ""]
    return "\n".join(parts)


def run_line(results: BenchResults) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    start, end = results.load_average
    return (
        f"Run {when} at commit {_commit()}, {results.wall_seconds / 60:.1f} min; load average (1 min) "
        f"{start:.2f} at the start, {end:.2f} at the end. Figures: median of the runs (min{DASH}max)."
    )


def table(rows: list[ModeRow]) -> list[str]:
    lines = [_row(HEADER), _row(tuple("---" for _ in HEADER))]
    for row in rows:
        lines.append(_row(_cells(row, find_row(rows, row.model, MODE_ALONE))))
    return lines


def _cells(row: ModeRow, alone: ModeRow | None) -> tuple[str, ...]:
    is_alone = row.mode == MODE_ALONE
    versus = None if is_alone or alone is None else ratio(row.rate, alone.rate)
    return (
        row.model,
        row.mode,
        str(len(row.runs)),
        _text(row.stat(lambda r: r.assets), 0),
        _text(row.stat(lambda r: r.seconds), 1),
        _text(row.rate, 3 if row.rate and row.rate.median < 1 else 1),  # the video row: ~0.05 a second
        NA if versus is None else f"{versus:.0%}",
        _text(row.stat(lambda r: r.first_label_s), 2),
        _text(row.per_asset(lambda r: r.hub_calls), 3),
        _text(row.stat(lambda r: r.throttled), 0),
        _text(row.per_asset(lambda r: r.import_calls), 3),
        _text(row.per_asset(lambda r: r.sqs_calls), 3),
        _text(row.per_asset(lambda r: r.downloads), 2),
        _text(row.stat(lambda r: r.peak_rss_mb), 0),
        _cpu(row),
        _cpu_per_asset(row, alone),
        f"expects {row.expected_prelabeled}" if is_alone else _labeled(row),
    )


def _cpu(row: ModeRow) -> str:
    busy = row.stat(lambda r: r.cpu.machine_busy if r.cpu else None)
    own = row.stat(lambda r: r.cpu.own_cores if r.cpu else None)
    if busy is None or own is None:
        return NA
    return f"{busy.median:.0%} / {own.median:.2f}"


def _cpu_per_asset(row: ModeRow, alone: ModeRow | None) -> str:
    """Core-ms an asset, medians: the mode's own processes, and the test bed (the emulator and
    LocalStack, beyond what LocalStack used while the model's (a) asked nothing of it)."""
    background = localstack_background(alone.runs) if alone is not None else 0.0
    split = median_split(row.runs, background)
    return NA if split is None else f"{split.own:.1f} / {split.test_bed:.1f}"


def _labeled(row: ModeRow) -> str:
    """`4096 / 4096` when every run labeled the same, else `4090-4096 / 4096`; failures if counted."""
    labeled = row.stat(lambda r: r.prelabeled)
    if labeled is None:
        return NA
    counts = (
        f"{labeled.low:.0f}" if labeled.low == labeled.high else f"{labeled.low:.0f}{DASH}{labeled.high:.0f}"
    )
    text = f"{counts} / {row.expected_prelabeled}"
    failed = sum(r.failed_assets or 0 for r in row.runs)
    duplicates = sum(r.duplicate_objects or 0 for r in row.runs)
    text += f", {failed} failed" if any(r.failed_assets is not None for r in row.runs) else ""
    return text + (f" ({duplicates} duplicate objects)" if duplicates else "")


def _text(value: Spread | None, digits: int) -> str:
    return NA if value is None else value.text(digits)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (
        " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    )
