"""The issue's targets, judged from the results: met, not met, or not measured, with the figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .results import MODE_ALONE, MODE_STOCK, BenchResults, ModeRow, mode_product


@dataclass(frozen=True)
class Target:
    text: str
    met: bool | None  # None: not measured in this run
    figures: str

    def line(self) -> str:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[self.met]
        return f"- {self.text}: **{verdict}** — {self.figures}"


def targets(results: BenchResults, workers: int) -> list[Target]:
    rows = results.rows
    return [
        _ratio_target(
            "Haar: 1 worker >= 90% of the model alone (a)",
            find_row(rows, "haar", mode_product(1)),
            find_row(rows, "haar", MODE_ALONE),
            0.90,
        ),
        _ratio_target(
            f"fixed-latency: {workers} workers >= 0.85 x {workers} x its 1-worker throughput",
            find_row(rows, "fixed-latency", mode_product(workers)),
            find_row(rows, "fixed-latency", mode_product(1)),
            0.85 * workers,
        ),
        _ratio_target(
            f"fixed-latency: {workers} workers >= 5x the stock way (b)",
            find_row(rows, "fixed-latency", mode_product(workers)),
            find_row(rows, "fixed-latency", MODE_STOCK),
            5.0,
        ),
        _per_asset_target("<= 0.05 import calls per asset (product)", rows, lambda r: r.import_calls, 0.05),
        _per_asset_target("<= 0.2 SQS calls per asset (product)", rows, lambda r: r.sqs_calls, 0.2),
        _rss_target(results),
        _accept_target(results),
    ]


def _ratio_target(text: str, row: ModeRow | None, base: ModeRow | None, wanted: float) -> Target:
    if row is None or base is None or base.rate <= 0:
        return Target(text, None, "not run")
    ratio = row.rate / base.rate
    figures = f"{row.rate:.1f} vs {base.rate:.1f} assets/s = {ratio:.2f}x (needs {wanted:.2f}x)"
    return Target(text, ratio >= wanted, figures)


def _per_asset_target(
    text: str, rows: list[ModeRow], calls: Callable[[ModeRow], int | None], limit: float
) -> Target:
    product = [(r, r.per_asset(calls(r))) for r in rows if r.mode.startswith(("(c)", "(d)"))]
    measured = [(r, v) for r, v in product if v is not None]
    if not measured:
        return Target(text, None, "not run")
    worst = max(v for _, v in measured)
    figures = "; ".join(f"{r.model} {r.mode.split(' ', 1)[0]}: {v:.3f}" for r, v in measured)
    return Target(text, worst <= limit, figures)


def _rss_target(results: BenchResults) -> Target:
    rss = results.rss
    text = "worker RSS flat within 50 MB over the RSS run"
    if rss is None:
        return Target(text, None, "not run")
    figures = (
        f"{rss.assets} assets ({rss.model}, 1 worker, {rss.seconds:.0f} s, {rss.samples} samples): "
        f"max RSS {rss.first_quarter_mb:.0f} MB in the first quarter, {rss.last_quarter_mb:.0f} MB in the "
        f"last, growth {rss.growth_mb:+.1f} MB, peak {rss.peak_mb:.0f} MB"
    )
    return Target(text, rss.growth_mb <= 50, figures)


def _accept_target(results: BenchResults) -> Target:
    accept = results.accept
    text = "listener accept p99 < 50 ms"
    if accept is None:
        return Target(text, None, "not run")
    figures = (
        f"{accept.runs} runs on a {accept.project_assets:,}-asset project: p50 {accept.p50_ms:.2f} ms, "
        f"p99 {accept.p99_ms:.2f} ms, max {accept.max_ms:.2f} ms (event in -> socket thread free); "
        f"all {accept.runs} plan jobs queued {accept.enqueued_s:.1f} s after the first click"
    )
    return Target(text, accept.p99_ms < 50, figures)


def find_row(rows: list[ModeRow], model: str, mode: str) -> ModeRow | None:
    return next((r for r in rows if r.model == model and r.mode == mode), None)
