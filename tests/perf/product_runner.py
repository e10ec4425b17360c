"""(c)/(d)/(e) The product as a user runs it: one `ango-batch listen` and W `ango-batch work`
processes on a stack of their own and a plugin of their own at the emulator, started once and
clicked at again each round; every run is measured from outside."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from handler.contract.settings import Settings
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.processes import AdapterProcesses, adapter_env
from infra.stack import StackOutputs
from listener.acceptance import run_id_for

from .calls import AwsCalls, exit_line_calls, probe_calls, probe_env, probe_started, service_total
from .cpu import CpuMeter
from .environment import LocalAws, Plugin
from .memory import RssSampler
from .options import BenchOptions, category_mapping, config_json, model_of
from .processes import wait_until
from .results import RunSample
from .startup import StartTimes, start_times
from .watch import Click, RunWatch, click_and_wait

READY_TIMEOUT = 300.0  # many processes start at once on few cores (32 workers: ~2 minutes)
DEFAULT_JOBS_AHEAD: int = Settings.model_fields["jobs_ahead_per_run"].default
PROBE_SETTLE_SECONDS = 0.3  # the probe writes its counts every 0.1 s


@dataclass
class ProductSession:
    emulator: EmulatorControl
    aws: LocalAws
    stack: StackOutputs
    model: str
    options: BenchOptions
    log_dir: Path
    plugin: Plugin
    workers: int
    assets: int  # in the emulator's benchmark project
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. the field limit's Hub budget
    # The fixed-latency model's pace in this session's Config JSON; None: the options'
    seconds_per_batch: float | None = None
    batch_size: int | None = None
    processes: AdapterProcesses = field(init=False)
    probe_dir: Path = field(init=False)  # the AWS call probe's counts, one file per process
    rss_runs: list[RssSampler] = field(default_factory=list)  # the workers' RSS, per run
    sqs_ops: Counter[str] = field(default_factory=Counter)  # SQS calls per operation, every run
    _beats: int = 0

    def __post_init__(self) -> None:
        self.probe_dir = self.log_dir / "aws-probe"
        self.probe_dir.mkdir(parents=True, exist_ok=True)
        probe = probe_env(self.probe_dir, os.environ.get("PYTHONPATH"))
        extra = {
            "ANGO_BATCH_MODEL": model_of(self.model),
            "ANGO_BATCH_JOBS_AHEAD_PER_RUN": str(jobs_ahead(self.workers, self.options.concurrency)),
            **probe,
            **self.extra_env,
        }
        env = adapter_env(
            self.stack, self.emulator.base_url, self.plugin.id, self.plugin.secret, self.aws.env, extra
        )
        self.processes = AdapterProcesses(env=env, log_dir=self.log_dir, entry="tests.perf.counted_cli")

    def start(self) -> None:
        """Spawn the listener and every worker; `wait_ready` waits for them."""
        self._beats = int(self.emulator.plugin(self.plugin.id)["heartbeatCount"])
        self.processes.start_listener()
        for _ in range(self.workers):
            self.processes.start_worker(concurrency=self.options.concurrency, grace=self.options.worker_grace)

    def wait_ready(self) -> None:
        """Until the listener is live at the emulator and every worker polls the job queue."""
        try:
            self.emulator.wait_for_plugin_live(self.plugin.id, READY_TIMEOUT, min_beats=self._beats + 1)
        except TimeoutError:
            raise RuntimeError("the listener never went live:\n" + self.tail("listener")) from None
        for n, worker in enumerate(self.processes.workers):
            try:
                wait_until(partial(probe_started, self.probe_dir, worker.pid), READY_TIMEOUT, "polling")
            except TimeoutError:
                raise RuntimeError(
                    f"worker-{n} never polled the job queue:\n{self.tail(f'worker-{n}')}"
                ) from None

    def click(
        self,
        knobs: dict[str, object] | None = None,
        project_id: str = demo_data.BENCH_PROJECT_ID,
        api_key: str = demo_data.API_KEY,
    ) -> Click:
        mapping = category_mapping(self.model)
        config = config_json(self.model, self.options, "skip", self.seconds_per_batch, self.batch_size)
        return Click(self.plugin.id, project_id, mapping, config, knobs, api_key)

    def run(self, knobs: dict[str, object] | None = None) -> RunSample:
        """One click, measured: the run as the emulator saw it, SQS calls, RSS and CPU."""
        pids = [p.pid for p in self.processes.all()]
        before, meter = probe_calls(self.probe_dir, pids), CpuMeter(pids)
        with RssSampler([w.pid for w in self.processes.workers]) as rss:
            watch = click_and_wait(self.emulator, self.click(knobs), self.options.run_timeout)
            cpu = meter.stop()
            time.sleep(PROBE_SETTLE_SECONDS)
        self._check_alive()
        after = probe_calls(self.probe_dir, pids)
        sqs: AwsCalls = Counter({key: n for key, n in (after - before).items() if key[0] == "sqs"})
        self.sqs_ops.update({operation: n for (_, operation), n in sqs.items()})
        self.rss_runs.append(rss)
        self._write_rss(rss)
        return watch.sample(
            self.assets,
            rss.peak_mb(),
            cpu,
            failed_assets=watch.failed_assets,
            start_rss_mb=rss.start_mb(),
            rss_growth_mb=rss.growth_mb(),
            sqs_calls=service_total(sqs, "sqs"),
            start=self._start_times(watch),
        )

    def _write_rss(self, rss: RssSampler) -> None:
        """The run's RSS samples beside the processes' logs (rss-<run>.tsv: epoch s, pid, KiB), to
        set against the workers' log lines afterwards (a long video's parts, say)."""
        lines = [f"{at:.3f}\t{pid}\t{kib}" for at, pid, kib in rss.samples]
        (self.log_dir / f"rss-{len(self.rss_runs)}.tsv").write_text("\n".join(lines) + "\n")

    def _start_times(self, watch: RunWatch) -> StartTimes:
        logs = [self.processes.log_text(f"worker-{n}") for n in range(len(self.processes.workers))]
        slots = self.workers * self.options.concurrency
        return start_times(logs, run_id_for(self.plugin.id, watch.session), watch.started_at, slots)

    def exit_lines(self) -> dict[str, dict[str, int] | None]:
        """Each process's own `aws calls:` exit line, once they have stopped."""
        names = ["listener"] + [f"worker-{n}" for n in range(len(self.processes.workers))]
        return {name: exit_line_calls(self.processes.log_text(name)) for name in names}

    def tail(self, name: str, lines: int = 30) -> str:
        return "\n".join(self.processes.log_text(name).splitlines()[-lines:])

    def _check_alive(self) -> None:
        named = [("listener", self.processes.listener)] + [
            (f"worker-{n}", w) for n, w in enumerate(self.processes.workers)
        ]
        for name, process in named:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.tail(name)}")

    def all_processes(self) -> list[subprocess.Popen[bytes]]:
        return self.processes.all()


def jobs_ahead(workers: int, concurrency: int) -> int:
    """ANGO_BATCH_JOBS_AHEAD_PER_RUN as README tells a user to deploy it: the default, raised to the
    fleet's job slots where it has more (at 16, 32 workers' 64 slots would run 16 jobs of a run)."""
    return max(DEFAULT_JOBS_AHEAD, workers * concurrency)
