"""The benchmark: `python -m tests.perf.bench [--quick] ...` (`make bench` runs it with defaults).

For each model, on an emulator project of N assets with latency on every REST call and download,
rounds of: (a) the model alone on decoded images (the video row: decoding plus the model, on the
sampled frames of a long video), (b) the stock BatchModelPlugin with a sequential
callback, (c) the product with 1 worker, (d) with W workers (fixed-latency: each W of --workers).
Every mode runs once per round, the modes interleaved; the table gives each figure's median and
spread. For the fixed-latency model, two blocks more: (e) fleets of W workers on one key at the
product's default Hub budget against a rate-limited emulator (field_limit.py), and (f) a small run
clicked into a big one on one fleet, against each alone (fair_turns.py). Then click -> first
pre-label on a small and a big project, and a burst of runs at the listener. Prints one markdown
report and writes it to out/bench.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path

from .accept_run import measure_accept
from .environment import LocalAws, bench_emulator, fresh_stack, local_aws
from .fair_turns import measure_fair_turns
from .field_limit import measure_field_limit
from .first_label import measure_first_label
from .memory import rss_drift
from .notes import setup_notes
from .options import BenchOptions, parse_options
from .processes import say
from .report import render
from .results import BenchResults, RssRun, mode_product
from .rounds import ModelBench, model_bench

FIXED = "fixed-latency"


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    # force: imerit_ango.plugins sets up INFO logging for everyone when it is imported.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("listener").setLevel(logging.ERROR)  # the accept run's listener says it disconnects
    results = BenchResults(notes=setup_notes(options))
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    logs = options.out.parent / "bench-logs"  # the processes' output, kept for a look afterwards
    shutil.rmtree(logs, ignore_errors=True)
    with local_aws() as aws:
        for model in options.models:
            measure_model(aws, model, options, logs / model, results)
        if FIXED in options.models and options.runs_mode(FIXED, "e"):
            measure_field_limit(aws, options, logs / "field-limit", results)
        if FIXED in options.models and options.fair_assets[0] > 0:
            measure_fair_turns(aws, options, logs / "fair-turns", results)
        if options.first_label_runs > 0:
            small, big = options.first_label_assets
            say(f"click -> 1st pre-label: {small} vs {big} assets, {options.first_label_runs} runs each")
            results.first_label = measure_first_label(aws, options, logs / "first-label")
        if options.accept_assets > 0 and options.accept_runs > 0:
            say(f"listener accept: {options.accept_runs} runs on {options.accept_assets} assets")
            measure_listener(aws, options, results)
    results.wall_seconds = time.monotonic() - started
    results.load_average = (load_at_start, os.getloadavg()[0])
    text = render(results, options)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    print(text, flush=True)
    return 0


def measure_model(
    aws: LocalAws, model: str, options: BenchOptions, logs: Path, results: BenchResults
) -> None:
    say(f"{model}: {options.assets_for(model)} assets, {options.rounds} rounds; starting its processes")
    with model_bench(aws, model, options, logs, results) as bench:
        for number in range(1, options.rounds + 1):
            bench.round(number)
    if model == options.rss_model:
        results.rss = rss_run(bench)


def rss_run(bench: ModelBench) -> RssRun | None:
    """RSS drift of the one (c) worker over all its runs: the same process, round after round."""
    session = bench.product[mode_product(1)]
    growth = rss_drift([sampler.samples for sampler in session.rss_runs])
    if growth is None:
        return None
    runs = len(session.rss_runs)
    return RssRun(
        bench.model,
        session.assets * runs,
        runs,
        growth.first_quarter_mb,
        growth.last_quarter_mb,
        growth.peak_mb,
        growth.samples,
    )


def measure_listener(aws: LocalAws, options: BenchOptions, results: BenchResults) -> None:
    with fresh_stack() as stack, bench_emulator(options.accept_assets, options.latency_ms) as emulator:
        results.accept = measure_accept(emulator, stack, options)


if __name__ == "__main__":
    sys.exit(main())
