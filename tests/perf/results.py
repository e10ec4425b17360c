"""What each measurement produces: one record per run, gathered per mode into the table's rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .cpu import CpuUse
from .spread import Spread, spread
from .startup import StartTimes

MODE_ALONE = "(a) model alone"
MODE_STOCK = "(b) stock BatchModelPlugin"


def mode_product(workers: int) -> str:
    return f"({'c' if workers == 1 else 'd'}) product, {workers} worker{'s' if workers > 1 else ''}"


def mode_field(workers: int) -> str:
    return f"(e) field limit, {workers} workers"


@dataclass(frozen=True)
class RunSample:
    """One run of one mode. Counts are over the run, from click to answer."""

    assets: int
    seconds: float
    prelabeled: int | None = None  # at the emulator, after the run
    duplicate_objects: int | None = None  # objects imported twice onto one asset
    failed_assets: int | None = None  # as the run's final message says
    import_calls: int | None = None
    hub_calls: int | None = None  # every /v2 call the emulator served, imports included
    throttled: int | None = None  # 429s the emulator answered
    downloads: int | None = None
    sqs_calls: int | None = None
    peak_rss_mb: float | None = None
    start_rss_mb: float | None = None  # the largest at the click, before the run's work
    rss_growth_mb: float | None = None  # within the run: last quarter of its samples vs the first
    first_label_s: float | None = None
    cpu: CpuUse | None = None  # the machine, and this mode's own processes
    phases: str = ""  # where the run's time went
    start: StartTimes | None = None  # where the product's fixed start went, from its logs

    @property
    def rate(self) -> float:
        return self.assets / self.seconds if self.seconds > 0 else 0.0

    def per_asset(self, calls: int | None) -> float | None:
        return None if calls is None or not self.assets else calls / self.assets


@dataclass
class ModeRow:
    """One row of the table: one model, one way of running it, every run of it."""

    model: str
    mode: str
    workers: int = 0
    expected_prelabeled: int | None = None
    runs: list[RunSample] = field(default_factory=list)

    def stat(self, value: Callable[[RunSample], float | None]) -> Spread | None:
        return spread(value(run) for run in self.runs)

    def per_asset(self, calls: Callable[[RunSample], int | None]) -> Spread | None:
        return self.stat(lambda run: run.per_asset(calls(run)))

    @property
    def rate(self) -> Spread | None:
        return self.stat(lambda run: run.rate)


@dataclass(frozen=True)
class RssRun:
    model: str
    assets: int  # through the one worker, over every run
    runs: int
    first_quarter_mb: float
    last_quarter_mb: float
    peak_mb: float
    samples: int

    @property
    def growth_mb(self) -> float:
        return self.last_quarter_mb - self.first_quarter_mb


@dataclass(frozen=True)
class VideoFacts:
    """The video row's video, as OpenCV reads it, and what the run's frame_stride makes of it."""

    width: int
    height: int
    fps: float
    frames: int  # decoded, per video
    sampled: int  # given to the model, per video: frames 0, stride, 2 x stride, ...
    stride: int
    megabytes: float
    grab_seconds: float  # decoding it whole once, as the emulator does on each run's import

    @property
    def seconds(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclass(frozen=True)
class AcceptRun:
    project_assets: int
    runs: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    enqueued_s: float  # first click to the last run's plan job on the queue


@dataclass(frozen=True)
class FirstLabel:
    """Click -> first pre-label on a small and a big project, every run of each."""

    small_assets: int
    big_assets: int
    small_s: list[float]
    big_s: list[float]


@dataclass
class BenchResults:
    rows: list[ModeRow] = field(default_factory=list)
    rss: RssRun | None = None
    accept: AcceptRun | None = None
    first_label: FirstLabel | None = None
    video: VideoFacts | None = None
    notes: list[str] = field(default_factory=list)
    sqs_breakdown: dict[str, dict[str, int]] = field(default_factory=dict)  # row label -> op -> calls
    exit_lines: dict[str, dict[str, int] | None] = field(default_factory=dict)  # process -> calls
    wall_seconds: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load at the start and at the end

    def row(self, model: str, mode: str, workers: int = 0) -> ModeRow:
        """The row of this model and mode, made on first use."""
        for row in self.rows:
            if row.model == model and row.mode == mode:
                return row
        self.rows.append(ModeRow(model, mode, workers))
        return self.rows[-1]
