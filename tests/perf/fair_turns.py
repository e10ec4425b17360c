"""(f) Fair turns: a small run clicked into a big run on one fleet, against each run alone.

One deployment (a listener and options.fair_workers workers, at the product's default
JobsAheadPerRun) serves two users of one Hub: the big project is the demo user's, the small one
another user's, each run with its own key and so its own Hub budget. Each round, interleaved: the
big run alone, the small run alone, then the big run clicked and the small one clicked
options.fair_click_after_s later. The small run should be answered within 2x of its time alone,
and the big run should take no longer than alone plus the small run's time alone.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator

from .cpu import CpuMeter, CpuUse
from .environment import LocalAws, add_plugin, fresh_stack
from .memory import RssSampler
from .options import BenchOptions
from .processes import say
from .product_runner import ProductSession
from .results import BenchResults, RunSample
from .rounds import start_sessions, stop_sessions
from .watch import Click, RunWatch, click, start, watch_run

MODEL = "fair-turns"  # the table's label for these rows; the model run is fixed-latency
BIG_ALONE, SMALL_ALONE = "(f) big run alone", "(f) small run alone"


def big_beside(after: float) -> str:
    return f"(f) big run, the small one clicked {after:g} s in"


def small_beside(after: float) -> str:
    return f"(f) small run, clicked {after:g} s into the big one"


def measure_fair_turns(aws: LocalAws, options: BenchOptions, logs: Path, results: BenchResults) -> None:
    big, small = options.fair_assets
    after = options.fair_click_after_s
    say(f"fair turns: {small} assets clicked {after:g} s into {big}, {options.fair_workers} workers")
    with _fleet(aws, options, logs) as session:
        runs = _Runs(session, options.run_timeout)
        for number in range(1, options.rounds + 1):
            say(f"fair turns: round {number} of {options.rounds}")
            _add(results, BIG_ALONE, runs.alone(runs.big, big))
            _add(results, SMALL_ALONE, runs.alone(runs.small, small))
            big_run, small_run = runs.together(after, big, small)
            _add(results, big_beside(after), big_run)
            _add(results, small_beside(after), small_run)


@contextlib.contextmanager
def _fleet(aws: LocalAws, options: BenchOptions, logs: Path) -> Iterator[ProductSession]:
    big, small = options.fair_assets
    latency = options.latency_ms
    with (
        run_emulator(
            seed=f"bench-fair:{big}:{small}", latency_ms=latency, file_latency_ms=latency
        ) as emulator,
        fresh_stack() as stack,
    ):
        session = ProductSession(
            emulator,
            aws,
            stack,
            "fixed-latency",
            options,
            logs,
            add_plugin(emulator, "f"),
            options.fair_workers,
            big,
            seconds_per_batch=options.fair_seconds_per_batch,
        )
        try:
            start_sessions([session])
            yield session
        finally:
            stop_sessions([session], options.stop_grace)


class _Runs:
    """The fleet's two clicks, and how each run is timed: by the emulator's clock, click to answer."""

    def __init__(self, session: ProductSession, timeout: float) -> None:
        self.session, self.timeout = session, timeout
        self.emulator: EmulatorControl = session.emulator
        self.big = session.click()
        self.small = session.click(
            project_id=demo_data.SMALL_BENCH_PROJECT_ID, api_key=demo_data.OTHER_API_KEY
        )

    def alone(self, run: Click, assets: int) -> RunSample:
        with self._measured() as measured:
            watch = watch_run(self.emulator, run, click(self.emulator, run), self.timeout)
        return _sample(watch, assets, measured)

    def together(self, after: float, big_assets: int, small_assets: int) -> tuple[RunSample, RunSample]:
        """The big run clicked, the small one `after` seconds later; both waited for."""
        with self._measured() as measured:
            big_session = click(self.emulator, self.big)
            time.sleep(after)
            small_session = start(self.emulator, self.small)
            small = watch_run(self.emulator, self.small, small_session, self.timeout)
            big = watch_run(self.emulator, self.big, big_session, self.timeout)
        return _sample(big, big_assets, measured), _sample(small, small_assets, _Measured())

    @contextlib.contextmanager
    def _measured(self) -> Iterator[_Measured]:
        """The fleet's CPU and its workers' peak RSS over the block."""
        found = _Measured()
        meter = CpuMeter([p.pid for p in self.session.processes.all()])
        with RssSampler([w.pid for w in self.session.processes.workers]) as rss:
            yield found
            found.cpu = meter.stop()
        found.peak_rss_mb = rss.peak_mb()


@dataclass
class _Measured:
    cpu: CpuUse | None = None
    peak_rss_mb: float | None = None


def _sample(watch: RunWatch, assets: int, measured: _Measured) -> RunSample:
    """The run as a table row's sample; the fleet's CPU and RSS go with the big run only, whose
    block the small run lies within."""
    return RunSample(
        assets=assets,
        seconds=watch.seconds,
        prelabeled=watch.prelabeled,
        duplicate_objects=watch.duplicate_objects,
        failed_assets=watch.failed_assets,
        first_label_s=watch.first_label_seconds,
        cpu=measured.cpu,
        peak_rss_mb=measured.peak_rss_mb,
    )


def _add(results: BenchResults, mode: str, sample: RunSample) -> None:
    row = results.row(MODEL, mode)
    row.expected_prelabeled = sample.assets  # the model boxes every image
    row.runs.append(sample)
