"""Where the CPUs went during a run, per asset: the mode's own processes, the emulator, LocalStack,
everything else on the machine, and idle. On a machine that the test bed shares with the adapter,
this says how much of a gap is the test bed's CPU and how much is the product's."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .cpu import OWN, other_cores
from .results import ModeRow, RunSample


@dataclass(frozen=True)
class CoreSplit:
    """Core-milliseconds per asset of one run (or medians over runs), by who used them."""

    total: float  # every CPU of the machine, busy or not
    own: float
    emulator: float
    localstack: float
    other: float  # other processes: the benchmark itself, other people's work
    idle: float

    @property
    def test_bed(self) -> float:
        return self.emulator + self.localstack

    def text(self) -> str:
        return (
            f"{self.total:.1f} core-ms per asset: the mode's processes {self.own:.1f}, emulator "
            f"{self.emulator:.1f}, LocalStack {self.localstack:.1f}, other processes {self.other:.1f}, "
            f"idle {self.idle:.1f}"
        )


def core_split(
    run: RunSample, localstack_background: float = 0.0, cpus: int | None = None
) -> CoreSplit | None:
    """`localstack_background`: cores LocalStack used while this benchmark asked nothing of it (other
    people's tests share it); they count as other work, not as this run's test bed."""
    if run.cpu is None or run.assets <= 0:
        return None
    cpus = cpus or os.cpu_count() or 1
    per_asset = run.seconds / run.assets * 1000  # ms of wall time per asset
    cores = run.cpu.cores
    own, emulator, localstack = (cores.get(name, 0.0) for name in (OWN, "emulator", "LocalStack"))
    localstack = max(0.0, localstack - localstack_background)
    busy = run.cpu.machine_busy * cpus
    other = max(0.0, busy - own - emulator - localstack)
    return CoreSplit(
        cpus * per_asset,
        own * per_asset,
        emulator * per_asset,
        localstack * per_asset,
        other * per_asset,
        max(0.0, cpus - busy) * per_asset,
    )


def median_split(runs: Sequence[RunSample], localstack_background: float = 0.0) -> CoreSplit | None:
    """Each part's median over the runs."""
    splits = [s for s in (core_split(run, localstack_background) for run in runs) if s is not None]
    if not splits:
        return None
    fields = ("total", "own", "emulator", "localstack", "other", "idle")
    return CoreSplit(*(statistics.median(getattr(s, name) for s in splits) for name in fields))


def localstack_background(runs: Sequence[RunSample]) -> float:
    """Median cores LocalStack used during these runs (runs of (a), which make no AWS call)."""
    found = [run.cpu.cores.get("LocalStack", 0.0) for run in runs if run.cpu is not None]
    return float(statistics.median(found)) if found else 0.0


def other_work(row: ModeRow) -> float:
    """Median cores that other work on the machine took during the row's runs."""
    cpus = os.cpu_count() or 1
    found = [other_cores(run.cpu, cpus) for run in row.runs if run.cpu is not None]
    return float(statistics.median(found)) if found else 0.0
