"""The fixed notes under the table: how the benchmark was set up, and on what machine."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import cv2

from .options import BenchOptions


def setup_notes(options: BenchOptions) -> list[str]:
    cpu = _cpu_model()
    return [
        f"Setup: {options.latency_ms:g} ms latency on every Ango REST call and every asset download "
        f"(emulator); batch_size {options.batch_size}, job_size {options.job_size}, imports of up to 100 "
        f"items; fixed-latency model {options.seconds_per_batch:g} s per batch; "
        f"{options.concurrency} jobs at once per worker process; W = {options.workers}.",
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, OpenCV "
        f"{cv2.__version__} with {cv2.getNumThreads()} threads; LocalStack, the emulator, the listener "
        "and every worker or plugin share these CPUs.",
        f"(a) times `predict` alone over the first min(N, {options.alone_max}) assets, decoded in memory "
        "beforehand, in batches of batch_size; its expected pre-label count covers all N.",
        "Ango calls/asset: the emulator's request counts between click and answer; 'other' is the "
        "project, asset pages and REST plugin logs/responses; downloads are the asset files.",
        "SQS calls/asset: every SQS call that the listener and all workers began between click and "
        "answer, counted in those processes by tests/perf/aws_probe (a botocore wrapper on PYTHONPATH).",
        "CPU: the share of all CPUs busy during the run, and the CPUs used by the mode's own processes "
        "(the model in this process for (a), the plugin for (b), listener + workers for (c)/(d)); the "
        "notes split the rest between the emulator and LocalStack.",
        "Peak RSS/process: the largest RSS any one worker (or the stock plugin) reached during the run, "
        "sampled every 0.2 s from /proc.",
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
