"""The benchmark: `python -m tests.perf.bench [--quick] ...` (`make bench` runs it with defaults).

For each model, on an emulator project of N assets with latency on every REST call and download:
(a) the model alone on decoded images, (b) the stock BatchModelPlugin with a sequential callback,
(c) the product with 1 worker and (d) with W workers. Then a 1-worker run for RSS growth and a
burst of runs on a big project for the listener's accept time. Prints one markdown table with the
targets, and writes the same to out/bench.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from infra.emulator.control import EmulatorControl

from .accept_run import measure_accept
from .environment import LocalAws, bench_emulator, fresh_stack, local_aws
from .memory import rss_growth
from .model_alone import AloneResult, DecodedAssets, load_assets, measure_model_alone
from .notes import setup_notes
from .options import BenchOptions, category_mapping, config_json, parse_options
from .product_runner import ProductRun, ProductSession, sqs_total
from .report import render
from .results import MODE_ALONE, BenchResults, ModeRow, RssRun, mode_product
from .stock_runner import run_stock


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
            _say(f"{model}: {options.assets_for(model)} assets")
            measure_model(aws, model, options, logs / model, results)
        if options.rss_assets > 0:
            _say(f"RSS run: {options.rss_assets} assets, 1 worker")
            results.rss = measure_rss(aws, options, logs / "rss", results)
        if options.accept_assets > 0 and options.accept_runs > 0:
            _say(f"listener accept: {options.accept_runs} runs on {options.accept_assets} assets")
            with (
                fresh_stack() as stack,
                bench_emulator(options.accept_assets, options.latency_ms) as emulator,
            ):
                results.accept = measure_accept(emulator, stack, options)
    results.wall_seconds = time.monotonic() - started
    results.notes.append(
        "Load average (1 min) at the start and the end: "
        f"{load_at_start:.2f} and {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)."
    )
    text = render(results, options.workers)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    print(text, flush=True)
    return 0


def measure_model(
    aws: LocalAws, model: str, options: BenchOptions, logs: Path, results: BenchResults
) -> None:
    with bench_emulator(options.assets_for(model), options.latency_ms) as emulator:
        _say("  (a) model alone")
        assets = load_assets(emulator)
        alone = _model_alone(assets, model, options)
        expected = alone.expected_prelabeled
        results.rows.append(
            ModeRow(model, MODE_ALONE, alone.timed_assets, alone.seconds, expected, cpu=alone.cpu)
        )
        _say("  (b) stock plugin")
        results.rows.append(run_stock(emulator, model, options, expected, logs))
        measure_product(emulator, aws, model, options, expected, logs / "product", results)
    _say("  (a) model alone, again")
    again = _model_alone(assets, model, options)
    if again.rate > alone.rate:  # the faster of the two: the other had more company on the CPUs
        row = next(r for r in results.rows if r.model == model and r.mode == MODE_ALONE)
        results.rows[results.rows.index(row)] = replace(row, seconds=again.seconds, cpu=again.cpu)
    results.notes.append(
        f"{model} (a) was timed before (b) and again after (d): {alone.rate:.1f} and {again.rate:.1f} "
        "assets/s; the table shows the faster."
    )


def measure_product(
    emulator: EmulatorControl,
    aws: LocalAws,
    model: str,
    options: BenchOptions,
    expected: int,
    logs: Path,
    results: BenchResults,
) -> None:
    """(c) and (d): one listener, then 1 worker, then W workers, on a stack of their own."""
    with fresh_stack() as stack:
        session = ProductSession(emulator, aws, stack, model, options, logs)
        try:
            session.start_listener()
            for workers in sorted({1, options.workers}):
                _say(f"  product, {workers} worker(s)")
                session.scale_to(workers)
                run = session.run()
                results.rows.append(_product_row(model, workers, options.assets_for(model), expected, run))
                results.sqs_breakdown[f"{model} {mode_product(workers)}"] = _ops(run)
        finally:
            session.stop()
    results.exit_lines.update({f"{model} {name}": calls for name, calls in session.exit_lines.items()})


def _model_alone(assets: DecodedAssets, model: str, options: BenchOptions) -> AloneResult:
    mapping = category_mapping(model)
    return measure_model_alone(assets, model, config_json(model, options), mapping, options.alone_max)


def measure_rss(aws: LocalAws, options: BenchOptions, logs: Path, results: BenchResults) -> RssRun | None:
    model = options.rss_model
    with fresh_stack() as stack, bench_emulator(options.rss_assets, options.latency_ms) as emulator:
        session = ProductSession(emulator, aws, stack, model, options, logs)
        try:
            session.start_listener()
            session.scale_to(1)
            run = session.run()
        finally:
            session.stop()
    results.exit_lines.update({f"RSS run {name}": calls for name, calls in session.exit_lines.items()})
    watch = run.watch
    results.notes.append(
        f"RSS run: {options.rss_assets} assets in {watch.seconds:.1f} s "
        f"({options.rss_assets / watch.seconds:.1f} assets/s), {watch.prelabeled} pre-labeled, "
        f"{sqs_total(run.sqs) / options.rss_assets:.3f} SQS calls/asset, "
        f"{watch.calls.imports / options.rss_assets:.3f} import calls/asset"
    )
    growth = rss_growth(run.rss.samples, watch.started_at, watch.completed_at)
    if growth is None:
        return None
    return RssRun(
        model,
        options.rss_assets,
        watch.seconds,
        growth.first_quarter_mb,
        growth.last_quarter_mb,
        growth.peak_mb,
        growth.samples,
    )


def _product_row(model: str, workers: int, assets: int, expected: int, run: ProductRun) -> ModeRow:
    watch = run.watch
    return ModeRow(
        model=model,
        mode=mode_product(workers),
        assets=assets,
        seconds=watch.seconds,
        expected_prelabeled=expected,
        prelabeled=watch.prelabeled,
        duplicate_objects=watch.duplicate_objects,
        import_calls=watch.calls.imports,
        other_ango_calls=watch.calls.other,
        downloads=watch.calls.downloads,
        sqs_calls=sqs_total(run.sqs),
        peak_rss_mb=run.rss.peak_mb(),
        first_label_s=watch.first_label_seconds,
        cpu=run.cpu,
        phases=watch.phases(),
        workers=workers,
    )


def _ops(run: ProductRun) -> dict[str, int]:
    return {operation: n for (_, operation), n in run.sqs.items()}


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
