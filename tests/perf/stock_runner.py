"""(b) Runs the stock plugin (tests/perf/stock_plugin.py) as its own process against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra import demo_data
from infra.emulator.control import EmulatorControl

from .cpu import CpuMeter
from .memory import RssSampler
from .options import BenchOptions, category_mapping, config_json
from .processes import stop_all
from .results import MODE_STOCK, ModeRow
from .watch import click_and_wait

REPO_ROOT = Path(__file__).resolve().parents[2]
LIVE_TIMEOUT = 60.0


def run_stock(
    emulator: EmulatorControl, model: str, options: BenchOptions, expected: int, log_dir: Path
) -> ModeRow:
    beats = int(emulator.plugin(demo_data.PLUGIN_ID)["heartbeatCount"])
    env = {**os.environ, "CONNECTOR": "WS", "LOGLEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    args = [emulator.base_url, demo_data.PLUGIN_ID, demo_data.PLUGIN_SECRET, model]
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"stock-{model}.log").open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.perf.stock_plugin", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=LIVE_TIMEOUT, min_beats=beats + 1)
        meter = CpuMeter([child.pid])
        with RssSampler([child.pid]) as rss:
            watch = click_and_wait(
                emulator,
                demo_data.BENCH_PROJECT_ID,
                category_mapping(model),
                config_json(model, options),
                options.run_timeout,
            )
        cpu = meter.stop()
    finally:
        stop_all([child], grace=2.0)
    return ModeRow(
        model=model,
        mode=MODE_STOCK,
        assets=options.assets_for(model),
        seconds=watch.seconds,
        expected_prelabeled=expected,
        prelabeled=watch.prelabeled,
        duplicate_objects=watch.duplicate_objects,
        import_calls=watch.calls.imports,
        other_ango_calls=watch.calls.other,
        downloads=watch.calls.downloads,
        sqs_calls=0,
        peak_rss_mb=rss.peak_mb(),
        first_label_s=watch.first_label_seconds,
        cpu=cpu,
        phases=watch.phases(),
        workers=1,
    )
