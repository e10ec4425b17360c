"""Click -> first pre-label on a small and a big project (fixed-latency model, 1 worker).

Planning streams, so the first job should leave after the first page whatever the project's size.
Each run gets a fresh stack and fresh processes, and they are killed once the first pre-label is
in: the rest of a big run would only cost time. Small and big runs alternate.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from infra.emulator.control import EmulatorControl

from .environment import LocalAws, Plugin, add_plugin, bench_emulator, fresh_stack
from .options import BenchOptions
from .product_runner import ProductSession
from .results import FirstLabel
from .watch import RunFailedError, click

MODEL = "fixed-latency"
# The model at its former fast pace (0.2 s per 16), not the rows' GPU pace (1.7 s per 8): the first
# job imports once, at its end, so at the GPU pace the figure would be the model's 100 assets (~22 s)
# and hide what it measures, planning's first page.
SECONDS_PER_BATCH = 0.2
POLL_SECONDS = 0.05  # the time is the emulator's first_import_at: polling sets no figure


def measure_first_label(aws: LocalAws, options: BenchOptions, logs: Path) -> FirstLabel:
    small, big = options.first_label_assets
    times: dict[int, list[float]] = {small: [], big: []}
    with (
        bench_emulator(small, options.latency_ms) as small_emulator,
        bench_emulator(big, options.latency_ms) as big_emulator,
    ):
        emulators = {
            small: (small_emulator, add_plugin(small_emulator, "first")),
            big: (big_emulator, add_plugin(big_emulator, "first")),
        }
        for number in range(options.first_label_runs):
            for size, (emulator, plugin) in emulators.items():
                with _session(emulator, aws, options, plugin, size, logs / f"{size}-{number}") as session:
                    times[size].append(_click_to_first_label(emulator, session, options.run_timeout))
    return FirstLabel(small, big, times[small], times[big])


@contextlib.contextmanager
def _session(
    emulator: EmulatorControl, aws: LocalAws, options: BenchOptions, plugin: Plugin, size: int, logs: Path
) -> Iterator[ProductSession]:
    with fresh_stack() as stack:
        session = ProductSession(
            emulator,
            aws,
            stack,
            MODEL,
            options,
            logs,
            plugin,
            1,
            size,
            seconds_per_batch=SECONDS_PER_BATCH,
            batch_size=options.batch_size,
        )
        try:
            session.start()
            session.wait_ready()
            yield session
        finally:
            for process in session.all_processes():
                process.kill()
                process.wait(timeout=10)


def _click_to_first_label(emulator: EmulatorControl, session: ProductSession, timeout: float) -> float:
    session_id = click(emulator, session.click())
    deadline = time.monotonic() + timeout
    while (first := emulator.project_summary(session.click().project_id).first_import_at) is None:
        if time.monotonic() > deadline:
            raise RunFailedError(f"run {session_id}: no pre-label in {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    return first - float(emulator.session(session_id)["startedAt"])
