"""The notes under the table: how busy the machine was, where the CPUs went, each run's phases,
SQS calls by operation, the processes' own call counts."""

from __future__ import annotations

import os
import statistics

from .cpu import other_cores
from .gaps import one_worker_gap, scaling_gap
from .options import BenchOptions
from .results import MODE_ALONE, BenchResults, ModeRow, mode_product
from .spread import Spread
from .startup import median_start
from .targets import find_row


def figures(results: BenchResults, options: BenchOptions) -> list[str]:
    notes = list(results.notes)
    notes += [f"CPU during {row.model} {row.mode} (medians): {_cpu_split(row)}" for row in results.rows]
    notes += one_worker_gap(results.rows, "haar", "Haar") + one_worker_gap(results.rows, "ocr", "OCR")
    notes += _video_notes(results) + one_worker_gap(results.rows, "video", "Video")
    for workers in options.fleets_for("fixed-latency"):
        notes += scaling_gap(results.rows, workers)
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


def _video_notes(results: BenchResults) -> list[str]:
    """What the video row's video is, and its rates in frames: the table counts a video an asset."""
    video = results.video
    if video is None:
        return []
    alone, one = (find_row(results.rows, "video", mode) for mode in (MODE_ALONE, mode_product(1)))
    rates = "; ".join(
        f"{row.mode}: {_text(row.stat(lambda r: r.rate * video.sampled), 1)} sampled frames/s, "
        f"{_text(row.stat(lambda r: r.rate * video.frames), 0)} decoded frames/s"
        for row in (alone, one)
        if row is not None
    )
    without = ""
    if one is not None and alone is not None and one.runs:
        counting = video.grab_seconds * one.runs[0].assets  # every video of the project, each run
        product, versus = one.stat(lambda r: r.seconds - counting), alone.stat(lambda r: r.seconds)
        if product is not None and versus is not None and product.median > 0:
            without = f" Less that, (c) would come to about {versus.median / product.median:.2f}x (a)."
    return [
        f"Video row: Haar on one generated video per asset (infra/emulator/videos.py, long_video_mp4): "
        f"{video.width}x{video.height}, {video.fps:g} fps, {video.frames} frames ({video.seconds:.0f} s), "
        f"{video.megabytes:.1f} MB of MPEG-4 Part 2 (mp4v); frame_stride {video.stride}, so "
        f"{video.sampled} frames a video go to the model. {rates}.",
        f"Video (c) includes the emulator counting the video's frames on the run's import, by decoding "
        f"it whole (infra/emulator/model.py, count_frames: {video.grab_seconds:.1f} s a video here, "
        f"timed once in the benchmark's process), every run; a real Hub would not put that on the "
        f"run's way.{without}",
    ]


def _text(value: Spread | None, digits: int) -> str:
    return "n/a" if value is None else value.text(digits)


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
