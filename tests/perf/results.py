"""What each measurement produces: plain records that the report turns into the table."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cpu import CpuUse

MODE_ALONE = "(a) model alone"
MODE_STOCK = "(b) stock BatchModelPlugin"


def mode_product(workers: int) -> str:
    return f"({'c' if workers == 1 else 'd'}) product, {workers} worker{'s' if workers > 1 else ''}"


@dataclass(frozen=True)
class ModeRow:
    """One row of the table: one model, one way of running it."""

    model: str
    mode: str
    assets: int
    seconds: float
    expected_prelabeled: int | None = None
    prelabeled: int | None = None  # at the emulator, after the run
    duplicate_objects: int | None = None  # objects imported twice onto one asset
    import_calls: int | None = None
    other_ango_calls: int | None = None
    downloads: int | None = None
    sqs_calls: int | None = None
    peak_rss_mb: float | None = None
    first_label_s: float | None = None
    cpu: CpuUse | None = None  # the machine, and this mode's own processes
    phases: str = ""  # where a run's time went
    workers: int = 0

    @property
    def rate(self) -> float:
        return self.assets / self.seconds if self.seconds > 0 else 0.0

    def per_asset(self, calls: int | None) -> float | None:
        return None if calls is None or not self.assets else calls / self.assets


@dataclass(frozen=True)
class RssRun:
    model: str
    assets: int
    seconds: float
    first_quarter_mb: float
    last_quarter_mb: float
    peak_mb: float
    samples: int

    @property
    def growth_mb(self) -> float:
        return self.last_quarter_mb - self.first_quarter_mb


@dataclass(frozen=True)
class AcceptRun:
    project_assets: int
    runs: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    enqueued_s: float  # first click to the last run's plan job on the queue


@dataclass
class BenchResults:
    rows: list[ModeRow] = field(default_factory=list)
    rss: RssRun | None = None
    accept: AcceptRun | None = None
    notes: list[str] = field(default_factory=list)
    sqs_breakdown: dict[str, dict[str, int]] = field(default_factory=dict)  # row label -> op -> calls
    exit_lines: dict[str, dict[str, int] | None] = field(default_factory=dict)  # process -> calls
    wall_seconds: float = 0.0
