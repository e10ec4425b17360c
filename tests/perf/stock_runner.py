"""(b) The stock plugin (tests/perf/stock_plugin.py) as its own process against the emulator,
started once with a plugin of its own and clicked at again each round."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from infra import demo_data
from infra.emulator.control import EmulatorControl

from .cpu import CpuMeter
from .environment import Plugin
from .memory import RssSampler
from .options import BenchOptions, category_mapping, config_json
from .results import RunSample
from .watch import Click, click_and_wait

REPO_ROOT = Path(__file__).resolve().parents[2]
LIVE_TIMEOUT = 120.0


@dataclass
class StockSession:
    emulator: EmulatorControl
    model: str
    options: BenchOptions
    log_dir: Path
    plugin: Plugin
    assets: int  # in the emulator's benchmark project
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _beats: int = 0

    def start(self) -> None:
        self._beats = int(self.emulator.plugin(self.plugin.id)["heartbeatCount"])
        env = {**os.environ, "CONNECTOR": "WS", "LOGLEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        args = [self.emulator.base_url, self.plugin.id, self.plugin.secret, self.model]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"stock-{self.model}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.perf.stock_plugin", *args],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        self.emulator.wait_for_plugin_live(self.plugin.id, timeout=LIVE_TIMEOUT, min_beats=self._beats + 1)

    def run(self) -> RunSample:
        assert self.process is not None, "start() first"
        mapping, config = category_mapping(self.model), config_json(self.model, self.options)
        click = Click(self.plugin.id, demo_data.BENCH_PROJECT_ID, mapping, config)
        meter = CpuMeter([self.process.pid])
        with RssSampler([self.process.pid]) as rss:
            watch = click_and_wait(self.emulator, click, self.options.run_timeout)
            cpu = meter.stop()
        return watch.sample(self.assets, rss.peak_mb(), cpu, sqs_calls=0)

    def all_processes(self) -> list[subprocess.Popen[bytes]]:
        return [self.process] if self.process is not None else []
