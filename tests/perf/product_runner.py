"""(c)/(d) The product as a user runs it: one `ango-batch listen` and W `ango-batch work` processes
on the stack and the emulator; runs are clicked at the emulator and measured from outside."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.processes import AdapterProcesses, adapter_env
from infra.stack import StackOutputs

from .calls import AwsCalls, exit_line_calls, probe_calls, probe_env, probe_started, service_total
from .cpu import CpuMeter, CpuUse
from .environment import LocalAws
from .memory import RssSampler
from .options import BenchOptions, category_mapping, config_json
from .processes import stop_all, wait_until
from .watch import RunWatch, click_and_wait

READY_TIMEOUT = 90.0
PROBE_SETTLE_SECONDS = 0.3  # the probe writes its counts every 0.1 s


@dataclass(frozen=True)
class ProductRun:
    watch: RunWatch
    sqs: AwsCalls  # SQS calls of the listener and the workers between click and answer
    rss: RssSampler
    cpu: CpuUse


@dataclass
class ProductSession:
    emulator: EmulatorControl
    aws: LocalAws
    stack: StackOutputs
    model: str
    options: BenchOptions
    log_dir: Path
    processes: AdapterProcesses = field(init=False)
    probe_dir: Path = field(init=False)  # the AWS call probe's counts, one file per process
    exit_lines: dict[str, dict[str, int] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.probe_dir = self.log_dir / "aws-probe"
        self.probe_dir.mkdir(parents=True, exist_ok=True)
        extra = {"ANGO_BATCH_MODEL": self.model, **probe_env(self.probe_dir, os.environ.get("PYTHONPATH"))}
        env = adapter_env(
            self.stack,
            self.emulator.base_url,
            demo_data.PLUGIN_ID,
            demo_data.PLUGIN_SECRET,
            self.aws.env,
            extra,
        )
        self.processes = AdapterProcesses(env=env, log_dir=self.log_dir)

    def start_listener(self) -> None:
        beats = int(self.emulator.plugin(demo_data.PLUGIN_ID)["heartbeatCount"])
        self.processes.start_listener()
        try:
            self.emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, READY_TIMEOUT, min_beats=beats + 1)
        except TimeoutError:
            raise RuntimeError("the listener never went live:\n" + self._tail("listener")) from None

    def scale_to(self, workers: int) -> None:
        """Start workers until there are `workers`, and wait until each is polling the job queue."""
        while len(self.processes.workers) < workers:
            self.processes.start_worker(concurrency=self.options.concurrency, grace=self.options.worker_grace)
        for n, worker in enumerate(self.processes.workers):
            try:
                wait_until(partial(probe_started, self.probe_dir, worker.pid), READY_TIMEOUT, "polling")
            except TimeoutError:
                log = self._tail(f"worker-{n}")
                raise RuntimeError(f"worker-{n} never polled the job queue:\n{log}") from None

    def run(self) -> ProductRun:
        pids = [p.pid for p in self.processes.all()]
        before, meter = probe_calls(self.probe_dir, pids), CpuMeter(pids)
        with RssSampler([w.pid for w in self.processes.workers]) as rss:
            watch = click_and_wait(
                self.emulator,
                demo_data.BENCH_PROJECT_ID,
                category_mapping(self.model),
                config_json(self.model, self.options),
                self.options.run_timeout,
            )
            cpu = meter.stop()
            time.sleep(PROBE_SETTLE_SECONDS)
        self._check_alive()
        after = probe_calls(self.probe_dir, pids)
        sqs = Counter({key: n for key, n in (after - before).items() if key[0] == "sqs"})
        return ProductRun(watch, sqs, rss, cpu)

    def stop(self) -> None:
        stop_all(self.processes.all(), self.options.stop_grace)
        names = ["listener"] + [f"worker-{n}" for n in range(len(self.processes.workers))]
        self.exit_lines = {name: exit_line_calls(self.processes.log_text(name)) for name in names}

    def _check_alive(self) -> None:
        for name, process in self._named():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self._tail(name)}")

    def _named(self) -> list[tuple[str, subprocess.Popen[bytes]]]:
        named = [(f"worker-{n}", w) for n, w in enumerate(self.processes.workers)]
        return ([("listener", self.processes.listener)] if self.processes.listener else []) + named

    def _tail(self, name: str, lines: int = 30) -> str:
        return "\n".join(self.processes.log_text(name).splitlines()[-lines:])


def sqs_total(calls: AwsCalls) -> int:
    return service_total(calls, "sqs")
