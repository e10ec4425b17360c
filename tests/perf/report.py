"""The benchmark's one table, its targets (met / not met, with the figures) and notes, as markdown."""

from __future__ import annotations

import math
import os

from .cpu import CpuUse
from .results import MODE_ALONE, BenchResults, ModeRow
from .targets import find_row, targets

NA = "n/a"
HEADER = (
    "model",
    "mode",
    "assets",
    "time (s)",
    "assets/s",
    "vs (a)",
    "import calls/asset",
    "other Ango calls/asset",
    "downloads/asset",
    "SQS calls/asset",
    "peak RSS/process (MB)",
    "click → 1st pre-label (s)",
    "CPU: machine busy / own cores",
    "pre-labeled / expected",
)


def render(results: BenchResults, workers: int) -> str:
    parts = ["## Benchmark", "", *table(results.rows), ""]
    parts += ["## Targets", "", *(t.line() for t in targets(results, workers)), ""]
    parts += ["## Figures and notes", "", *(f"- {note}" for note in figures(results)), ""]
    return "\n".join(parts)


def table(rows: list[ModeRow]) -> list[str]:
    lines = [_row(HEADER), _row(tuple("---" for _ in HEADER))]
    for row in rows:
        alone = find_row(rows, row.model, MODE_ALONE)
        lines.append(_row(_cells(row, alone)))
    return lines


def _cells(row: ModeRow, alone: ModeRow | None) -> tuple[str, ...]:
    is_alone = row.mode == MODE_ALONE
    versus = NA if is_alone or alone is None else f"{row.rate / alone.rate:.0%}"
    return (
        row.model,
        row.mode,
        str(row.assets),
        f"{row.seconds:.1f}",
        f"{row.rate:.1f}",
        versus,
        _num(row.per_asset(row.import_calls), 3),
        _num(row.per_asset(row.other_ango_calls), 3),
        _num(row.per_asset(row.downloads), 2),
        _num(row.per_asset(row.sqs_calls), 3),
        _num(row.peak_rss_mb, 0),
        _num(row.first_label_s, 2),
        NA if row.cpu is None else f"{row.cpu.machine_busy:.0%} / {row.cpu.own_cores:.2f}",
        f"expects {row.expected_prelabeled}" if is_alone else _labeled(row),
    )


def _labeled(row: ModeRow) -> str:
    text = f"{row.prelabeled} / {row.expected_prelabeled}"
    return text + (f" ({row.duplicate_objects} duplicate objects)" if row.duplicate_objects else "")


def figures(results: BenchResults) -> list[str]:
    notes = list(results.notes)
    for row in results.rows:
        if row.cpu is not None:
            notes.append(f"CPU during {row.model} {row.mode}: {_cpu_split(row.cpu)}")
    for row in results.rows:
        if row.phases:
            notes.append(f"Time of {row.model} {row.mode}: {row.phases}")
    for label, ops in results.sqs_breakdown.items():
        detail = ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: -kv[1]))
        notes.append(f"SQS calls during {label}: {detail or 'none'}")
    notes.append(
        "click → 1st pre-label: from the click to the first applied import at the emulator (its "
        "project summary's first_import_at); throughput is assets / (response time - click time), "
        "both recorded by the emulator."
    )
    notes.append(_exit_line_note(results))
    notes.append(f"Benchmark wall time: {results.wall_seconds / 60:.1f} min")
    return notes


def _cpu_split(cpu: CpuUse) -> str:
    """Cores used per group, and by everything else on the machine (other people's work too)."""
    cpus = os.cpu_count() or 1
    other = max(0.0, cpu.machine_busy * cpus - sum(cpu.cores.values()))
    groups = ", ".join(f"{name} {cores:.2f}" for name, cores in cpu.cores.items())
    return f"{cpu.machine_busy:.0%} of {cpus} CPUs busy; cores used: {groups}, anything else {other:.2f}"


def _exit_line_note(results: BenchResults) -> str:
    """The processes' own `aws calls:` exit lines, summed per set of processes."""
    groups: dict[str, dict[str, list[dict[str, int] | None]]] = {}
    for name, calls in results.exit_lines.items():
        group, process = name.rsplit(" ", 1)
        kind = "listener" if process == "listener" else "workers"
        groups.setdefault(group, {}).setdefault(kind, []).append(calls)
    parts = []
    for group, kinds in groups.items():
        for kind, found in sorted(kinds.items()):
            printed = [c for c in found if c is not None]
            if not printed:
                parts.append(f"{group} {kind}: none printed")
                continue
            total = {key: sum(c[key] for c in printed) for key in ("sqs", "s3", "kms")}
            count = f"{len(printed)}/{len(found)} printed" if kind == "workers" else "printed"
            parts.append(f"{group} {kind} ({count}): sqs={total['sqs']} s3={total['s3']} kms={total['kms']}")
    return (
        "The processes' own `aws calls: sqs= s3= kms=` exit lines (whole process lifetimes: start-up, "
        "idle polls and shutdown included): " + ("; ".join(parts) or "no processes")
    )


def _num(value: float | None, digits: int) -> str:
    if value is None or math.isnan(value):
        return NA
    return f"{value:.{digits}f}"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"
