"""The fixed notes under the table: how the benchmark was set up, and on what machine."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import cv2

from handler.contract.ango import PAGE_LIMIT

from .options import MODELS, MODES, VIDEO, BenchOptions
from .spread import DASH


def setup_notes(options: BenchOptions) -> list[str]:
    return _setup(options) + _definitions(options)


def _setup(options: BenchOptions) -> list[str]:
    sizes = ", ".join(f"{m} {options.assets_for(m)}" for m in MODELS if m in options.models)
    fleets = options.fleets_for("fixed-latency")
    projects = "; ".join(
        f"{w} worker{'s' if w > 1 else ''}: {options.fleet_assets('fixed-latency', w)} assets, "
        f"{_jobs(options.fleet_assets('fixed-latency', w), options.job_size)} jobs on "
        f"{w * options.concurrency} job slots"
        for w in (1, *fleets)
    )
    big, small = options.fair_assets
    return [
        f"Setup: {options.latency_ms:g} ms latency on every Ango REST call and every asset download "
        f"(emulator); batch_size {options.batch_size}, job_size {options.job_size} (one import call per "
        f"job); the fixed-latency model, standing in for a large GPU model, {options.seconds_per_batch:g} s "
        f"per batch of {options.fixed_batch_size}, one batch at a time per worker; "
        f"{options.concurrency} jobs at once per worker process; W = {', '.join(map(str, fleets))}. "
        "ANGO_BATCH_JOBS_AHEAD_PER_RUN: its default 16, raised to the fleet's job slots where there are "
        "more, as README advises.",
        f"Projects: {sizes} assets ((a) and (b) of fixed-latency). Each fixed-latency product row has "
        f"a project of its own, one job per job slot, so that every run is about one worker's share of "
        f"work long: {projects}. (b) runs on a project of its own of min(N, {options.stock_assets}) "
        "assets (the same images): the stock way is sequential, its rate does not depend on the "
        "project's size, and it is the slowest mode by far.",
        f"Rounds: every mode ran {options.rounds} times, interleaved ((a), (b), (c), (d), then again), "
        "each mode's processes started once and kept; (e) and (f) likewise, each a block of its own "
        f"after the model's: the table's figures are medians, the spread (min{DASH}max) beside them; "
        "ratios are between medians, and a target is met only if the medians meet it.",
        _modes_note(options),
        f"(e) field limit: the emulator's rate limit on, {options.field_requests} calls per "
        f"{options.field_window_s:g} s per API key (Hub's documented 100 a minute, scaled down to a "
        f"shorter window), W workers on one key with ANGO_REQUESTS_PER_MINUTE={options.field_budget:g} "
        f"(the product's default) and the shared Hub budget on (its default), on a project of "
        f"{options.field_assets} assets, the model at {options.field_seconds_per_batch:g} s per batch of "
        f"{options.batch_size}, so the fleet waits on Hub. Every other row: no limit at the emulator, "
        "and the adapter's budget raised to match (infra/processes.py).",
        f"(f) fair turns: one fleet of {options.fair_workers} workers (JobsAheadPerRun 16, the default) "
        f"serving two users of one Hub: a {big}-asset run and a {small}-asset run on another project "
        f"and key, the model at {options.fair_seconds_per_batch:g} s per batch of "
        f"{options.fixed_batch_size}. Each round: the big run alone, the small run alone, then the big "
        f"run with the small one clicked {options.fair_click_after_s:g} s after it. The big rows' CPU "
        "and RSS cover the whole of each block.",
    ]


def _modes_note(options: BenchOptions) -> str:
    """Which modes each model ran (options.MODES), and why OCR and the video row run only two."""
    ran = "; ".join(
        f"{m} " + ", ".join(f"({mode})" for mode in _modes_run(options, m))
        for m in MODELS
        if m in options.models
    )
    width, height = options.video_size
    frames = options.video_frames_per_job
    per_job = "" if frames is None else f" (its worker with ANGO_BATCH_VIDEO_FRAMES_PER_JOB={frames})"
    video = (
        f" The video row runs the Haar model on a video of {options.video_seconds:g} s of {width}x{height} "
        f"at 10 fps with frame_stride {options.frame_stride} in the run's Config JSON: 1 worker{per_job} "
        "against decoding plus the model alone (a), for the same reasons; its calls per asset are a run's "
        "calls, not judged."
        if VIDEO in options.models
        else ""
    )
    if "ocr" not in options.models:
        return f"Modes per model: {ran}.{video}"
    return (
        f"Modes per model: {ran}.{video} OCR's project cycles the rendered pictures of known text of "
        "infra/text_pictures.py, its text lines mapped to a rotated-box tool holding a text "
        "classification; its row is 1 worker against the model alone: it is CPU-bound, so W workers "
        "on these CPUs would only share them, and (b) would time the same model in a sequential loop. "
        "Its calls per asset are in the table but judged by no target: over so few, slow assets they "
        "measure the run's length (its fixed calls, the polls of its seconds), not a cost per asset."
    )


def _modes_run(options: BenchOptions, model: str) -> list[str]:
    """The model's modes this run, (f) with fixed-latency's where fair turns run."""
    modes = [mode for mode in MODES[model] if options.runs_mode(model, mode)]
    return [*modes, "f"] if model == "fixed-latency" and options.fair_assets[0] > 0 else modes


def _definitions(options: BenchOptions) -> list[str]:
    return [
        f"Machine: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, OpenCV "
        f"{cv2.__version__} with {cv2.getNumThreads()} threads; LocalStack, the emulators, every listener, "
        "worker and plugin share these CPUs, and so does whatever else runs on the machine.",
        f"(a) times `predict` alone over the first min(N, {options.alone_max}) assets "
        f"({options.alone_max_for('fixed-latency')} for fixed-latency: 1.7 s a batch), decoded in memory "
        "beforehand, in batches of batch_size; its expected pre-label count covers all N. The video "
        "row's (a) is timed from a local copy of each video: OpenCV decoding it (grab every frame, "
        "retrieve every frame_stride-th) plus `predict` on the sampled frames in batches of batch_size.",
        "Hub calls/asset: every /v2 call the emulator served between click and answer (imports, project, "
        "asset and task pages, signed URLs), whatever its answer; 429s: those answered 429; downloads are "
        "the asset files.",
        "SQS calls/asset: every SQS call that the listener and all workers began between click and "
        "answer, counted in those processes by tests/perf/aws_probe (a botocore wrapper on PYTHONPATH).",
        "CPU: the share of all CPUs busy during the run, and the CPUs used by the mode's own processes "
        "(the model in this process for (a), the plugin for (b), listener + workers for (c)/(d)/(e)); "
        "the notes split the rest between the emulators, LocalStack and anything else.",
        "Peak RSS/process: the largest RSS any one worker (or the stock plugin) reached during the run, "
        "sampled from /proc at the click and every 0.2 s after.",
    ]


def _jobs(assets: int, job_size: int) -> int:
    """Jobs the planner makes: the first page's assets leave at once, the rest in jobs of job_size."""
    first = min(assets, PAGE_LIMIT)
    return -(-first // job_size) + -(-(assets - first) // job_size)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
