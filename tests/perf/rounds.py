"""One model's block of the benchmark: every mode's processes started once, then rounds of the
model's modes (options.MODES: (a), (b), (c) and (d) at each of its fleet sizes), one run of each mode
per round, so that whatever else the machine does at a moment touches every mode alike. The field
limit's (e) has a block of its own (field_limit.py): its 40 workers beside these would crowd memory."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from infra.emulator.control import EmulatorControl

from .environment import LocalAws, add_plugin, bench_emulator, fresh_stack
from .model_alone import DecodedAssets, load_assets, measure_model_alone
from .options import VIDEO, BenchOptions, category_mapping, config_json, model_of, video_env
from .processes import say, stop_all
from .product_runner import ProductSession
from .results import MODE_ALONE, MODE_STOCK, BenchResults, RunSample, mode_product
from .stock_runner import StockSession
from .video_alone import VideoFiles, load_videos, measure_video_alone


class Session(Protocol):
    def start(self) -> None: ...
    def wait_ready(self) -> None: ...
    def all_processes(self) -> list[subprocess.Popen[bytes]]: ...


@dataclass
class ModelBench:
    model: str
    options: BenchOptions
    results: BenchResults
    assets: DecodedAssets | VideoFiles  # the video row's (a) decodes the videos itself
    stock: StockSession | None  # None where the model does not run (b)
    product: dict[str, ProductSession]  # mode -> its session
    expected: Callable[[int], int] | None = None  # pre-labels a project of N assets gets, from (a)

    def round(self, number: int) -> None:
        say(f"{self.model}: round {number} of {self.options.rounds}")
        self._run_alone()
        if self.stock is not None:
            self._add(MODE_STOCK, 1, self.stock.assets, self.stock.run())
        for mode, session in self.product.items():
            self._add(mode, session.workers, session.assets, session.run())

    def _run_alone(self) -> None:
        model, mapping = model_of(self.model), category_mapping(self.model)
        config = config_json(self.model, self.options)
        if isinstance(self.assets, VideoFiles):
            video = measure_video_alone(self.assets, model, config, mapping)
            self.results.video = self.results.video or video.facts
            self.expected = self.expected or video.expected_prelabeled
            sample = RunSample(assets=len(self.assets.paths), seconds=video.seconds, cpu=video.cpu)
            expected = video.expected_prelabeled(len(self.assets.paths))
        else:
            most = self.options.alone_max_for(self.model)
            alone = measure_model_alone(self.assets, model, config, mapping, most)
            self.expected = self.expected or partial(alone.expected_prelabeled, self.assets)
            sample = RunSample(assets=alone.timed_assets, seconds=alone.seconds, cpu=alone.cpu)
            expected = alone.expected_prelabeled(self.assets, len(self.assets.keys))
        self.results.row(self.model, MODE_ALONE).expected_prelabeled = expected
        self.results.row(self.model, MODE_ALONE).runs.append(sample)

    def _add(self, mode: str, workers: int, n_assets: int, sample: RunSample) -> None:
        row = self.results.row(self.model, mode, workers)
        if self.expected is not None:
            row.expected_prelabeled = self.expected(n_assets)
        row.runs.append(sample)


@contextlib.contextmanager
def model_bench(
    aws: LocalAws, model: str, options: BenchOptions, logs: Path, results: BenchResults
) -> Iterator[ModelBench]:
    """Emulators, stacks and processes of one model, all started at once and stopped together."""
    with contextlib.ExitStack() as stack:
        n_assets = options.assets_for(model)
        main = stack.enter_context(
            bench_emulator(n_assets, options.latency_ms, model, options.video_seconds, options.video_size)
        )
        stock = _stock_session(stack, model, options, logs) if options.runs_mode(model, "b") else None
        fleets = [1] if options.runs_mode(model, "c") else []
        fleets += list(options.fleets_for(model)) if options.runs_mode(model, "d") else []
        product = {
            mode_product(workers): _product_session(stack, main, aws, model, options, logs, workers)
            for workers in fleets
        }
        assets = _load_videos(stack, main) if model == VIDEO else load_assets(main)
        bench = ModelBench(model, options, results, assets, stock, product)
        sessions: list[Session] = [*([stock] if stock else []), *product.values()]
        stack.callback(stop_sessions, sessions, options.stop_grace)
        start_sessions(sessions)
        yield bench
    for mode, session in product.items():
        results.sqs_breakdown[f"{model} {mode}"] = dict(session.sqs_ops)
        results.exit_lines.update({f"{model} {mode} {name}": c for name, c in session.exit_lines().items()})


def _load_videos(stack: contextlib.ExitStack, emulator: EmulatorControl) -> VideoFiles:
    """The video row's videos in a folder of their own for the block, removed with it."""
    return load_videos(
        emulator, Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-video-")))
    )


def _stock_session(
    stack: contextlib.ExitStack, model: str, options: BenchOptions, logs: Path
) -> StockSession:
    """(b) on an emulator of its own, with a smaller project of the same images."""
    assets = options.stock_assets_for(model)
    emulator = stack.enter_context(bench_emulator(assets, options.latency_ms, model))
    return StockSession(emulator, model, options, logs / "stock", add_plugin(emulator, "stock"), assets)


def _product_session(
    stack: contextlib.ExitStack,
    emulator: EmulatorControl,
    aws: LocalAws,
    model: str,
    options: BenchOptions,
    logs: Path,
    workers: int,
) -> ProductSession:
    """(c) or (d): a stack and a plugin of its own, on the model's main emulator, or on an emulator of
    its own where its project is of another size (fixed-latency's, one job per job slot)."""
    name = "c" if workers == 1 else f"d{workers}"
    n_assets = options.fleet_assets(model, workers)
    if n_assets != options.assets_for(model):
        emulator = stack.enter_context(bench_emulator(n_assets, options.latency_ms, model))
    outputs = stack.enter_context(fresh_stack())
    plugin = add_plugin(emulator, name)
    env = video_env(options) if model == VIDEO else {}
    return ProductSession(emulator, aws, outputs, model, options, logs / name, plugin, workers, n_assets, env)


def start_sessions(sessions: list[Session]) -> None:
    for session in sessions:
        session.start()
    for session in sessions:
        session.wait_ready()


def stop_sessions(sessions: list[Session], grace: float) -> None:
    """All at once: idle workers sit in long polls, and their stops overlap."""
    stop_all([p for s in sessions for p in s.all_processes()], grace)
