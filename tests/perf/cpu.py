"""CPU time from /proc: the whole machine's, the measured processes', the emulator's, LocalStack's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    machine_busy: float  # share of all CPUs busy, 0..1
    cores: dict[str, float]  # process group -> CPUs it used, on average

    @property
    def own_cores(self) -> float:
        return self.cores.get(OWN, 0.0)


OWN = "own"


class CpuMeter:
    """CPU time of the whole machine and of groups of processes over a stretch of wall time.

    Groups: OWN (the processes being measured), and the shared test bed: this benchmark's emulator
    and LocalStack, so that a figure can say where the CPUs went.
    """

    def __init__(self, own: Sequence[int]) -> None:
        self._groups = {OWN: list(own), "emulator": emulator_pids(), "LocalStack": localstack_pids()}
        self._wall = time.monotonic()
        self._machine = _machine_ticks()
        self._ticks = {name: _ticks(pids) for name, pids in self._groups.items()}

    def stop(self) -> CpuUse:
        wall = time.monotonic() - self._wall
        busy, total = (now - then for now, then in zip(_machine_ticks(), self._machine, strict=True))
        cores = {
            name: (_ticks(pids) - self._ticks[name]) / _TICKS / wall if wall > 0 else 0.0
            for name, pids in self._groups.items()
        }
        return CpuUse(busy / total if total else 0.0, cores)


def other_cores(cpu: CpuUse, cpus: int) -> float:
    """Cores that neither the measured processes nor the test bed used: other work on the machine."""
    return max(0.0, cpu.machine_busy * cpus - sum(cpu.cores.values()))


def emulator_pids() -> list[int]:
    """This process's emulator child (infra.emulator.process starts one at a time here)."""
    parent = os.getpid()
    return [pid for pid, ppid, command in _processes() if ppid == parent and "infra.emulator" in command]


def localstack_pids() -> list[int]:
    return [pid for pid, _, command in _processes() if "localstack.runtime" in command]


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process we may read."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        yield int(entry.name), ppid, command


def _ticks(pids: Sequence[int]) -> int:
    return sum(_process_ticks(pid) for pid in pids)


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _process_ticks(pid: int) -> int:
    """utime + stime of a process (its threads included); 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
