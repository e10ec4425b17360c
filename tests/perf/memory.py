"""Memory of the processes under test, read from /proc: RSS sampled over a run, and its growth."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a live process in KiB; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = dict(line.split(":", 1) for line in text.splitlines() if line.startswith(("VmRSS", "VmHWM")))
    try:
        return int(values["VmRSS"].split()[0]), int(values["VmHWM"].split()[0])
    except (KeyError, ValueError, IndexError):
        return None


@dataclass
class RssSampler:
    """Samples the RSS of some processes on a thread: `with RssSampler(pids) as s: ...`, the first
    time on entry, so that the first samples are the processes as the run found them."""

    pids: Sequence[int]
    interval: float = 0.2
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (epoch s, pid, rss KiB)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def peak_mb(self) -> float | None:
        """The largest RSS of any one of the processes while sampled."""
        return max((rss for _, _, rss in self.samples), default=0) / 1024 or None

    def start_mb(self) -> float | None:
        """The largest RSS of any one of the processes at the first sample, taken on entry."""
        first = [rss for at, _, rss in self.samples if at == self.samples[0][0]] if self.samples else []
        return max(first, default=0) / 1024 or None

    def growth_mb(self) -> float | None:
        """Growth over this run alone: max RSS in the last quarter of its samples against the first."""
        growth = rss_drift([self.samples])
        return None if growth is None else growth.growth_mb

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        now = time.time()
        for pid in self.pids:
            found = memory_kb(pid)
            if found is not None:
                self.samples.append((now, pid, found[0]))


@dataclass(frozen=True)
class RssGrowth:
    first_quarter_mb: float
    last_quarter_mb: float
    peak_mb: float
    samples: int

    @property
    def growth_mb(self) -> float:
        return self.last_quarter_mb - self.first_quarter_mb


def rss_drift(runs: Sequence[Sequence[tuple[float, int, int]]]) -> RssGrowth | None:
    """Several runs' samples joined in order (the idle time between runs left out): the max RSS in
    the first quarter of the samples against the max in the last quarter."""
    joined = [rss for run in runs for _, _, rss in sorted(run)]
    quarter = len(joined) // 4
    if quarter == 0:
        return None
    first, last = joined[:quarter], joined[-quarter:]
    return RssGrowth(max(first) / 1024, max(last) / 1024, max(joined) / 1024, len(joined))
