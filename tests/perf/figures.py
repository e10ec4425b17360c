"""The notes under the table: how busy the machine was, where the CPUs went, each run's phases,
SQS calls by operation, the processes' own call counts."""

from __future__ import annotations

import os
import statistics

from .cpu import other_cores
from .gaps import one_worker_gap, scaling_gap
from .options import BenchOptions
from .results import BenchResults, ModeRow
from .startup import median_start


def figures(results: BenchResults, options: BenchOptions) -> list[str]:
    notes = list(results.notes)
    notes += [f"CPU during {row.model} {row.mode} (medians): {_cpu_split(row)}" for row in results.rows]
    notes += one_worker_gap(results.rows, "haar", "Haar") + one_worker_gap(results.rows, "ocr", "OCR")
    notes += scaling_gap(results.rows, options.workers)
    notes += _start_notes(results.rows)
    for row in results.rows:
        if any(run.phases for run in row.runs):
            notes.append(
                f"Time of {row.model} {row.mode}, run by run: " + "; ".join(r.phases for r in row.runs)
            )
    for label, ops in results.sqs_breakdown.items():
        detail = ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: -kv[1]))
        notes.append(f"SQS calls during {label}, all its runs together: {detail or 'none'}")
    if results.first_label is not None:
        found = results.first_label
        notes.append(
            f"click → 1st pre-label, run by run: {found.small_assets} assets "
            f"{', '.join(f'{s:.2f}' for s in found.small_s)} s; {found.big_assets} assets "
            f"{', '.join(f'{s:.2f}' for s in found.big_s)} s (fresh processes, already polling, each run)"
        )
    notes.append(
        "click → 1st pre-label: from the click to the first applied import at the emulator (its "
        "project summary's first_import_at); throughput is assets / (response time - click time), "
        "both recorded by the emulator."
    )
    notes.append(_exit_line_note(results))
    notes.append(f"Benchmark wall time: {results.wall_seconds / 60:.1f} min")
    return notes


def _cpu_split(row: ModeRow) -> str:
    """Cores used per group, and by everything else on the machine (other people's work too)."""
    uses = [run.cpu for run in row.runs if run.cpu is not None]
    if not uses:
        return "not measured"
    cpus = os.cpu_count() or 1
    busy = _median([u.machine_busy for u in uses])
    groups = {name: _median([u.cores.get(name, 0.0) for u in uses]) for name in uses[0].cores}
    other = _median([other_cores(u, cpus) for u in uses])
    parts = ", ".join(f"{name} {cores:.2f}" for name, cores in groups.items())
    return f"{busy:.0%} of {cpus} CPUs busy; cores used: {parts}, anything else {other:.2f}"


def _start_notes(rows: list[ModeRow]) -> list[str]:
    notes = []
    for row in rows:
        start = median_start([run.start for run in row.runs if run.start is not None])
        first = row.stat(lambda r: r.first_label_s)
        if start is not None and first is not None:
            notes.append(
                f"Start of {row.model} {row.mode} (medians, s after the click, from the workers' logs): "
                f"{start.text()}; 1st pre-label {first.median:.2f} s"
            )
    return notes


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _exit_line_note(results: BenchResults) -> str:
    """The processes' own `aws calls:` exit lines, summed per set of processes."""
    groups: dict[str, list[dict[str, int] | None]] = {}
    for name, calls in results.exit_lines.items():
        groups.setdefault(name.rsplit(" ", 1)[0], []).append(calls)
    parts = []
    for group, found in groups.items():
        printed = [c for c in found if c is not None]
        total = {key: sum(c[key] for c in printed) for key in ("sqs", "s3", "kms")}
        parts.append(
            f"{group} ({len(printed)}/{len(found)} printed): "
            f"sqs={total['sqs']} s3={total['s3']} kms={total['kms']}"
        )
    return (
        "The processes' own `aws calls: sqs= s3= kms=` exit lines (whole process lifetimes: start-up, "
        "idle polls and shutdown included): " + ("; ".join(parts) or "no processes")
    )
