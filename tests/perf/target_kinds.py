"""A target's verdict line, and the targets that are not a ratio of rows: first pre-label on a big
project, RSS drift, the listener's accept time."""

from __future__ import annotations

from dataclasses import dataclass

from .results import AcceptRun, FirstLabel, RssRun
from .spread import spread

FIRST_LABEL_FACTOR = 2.0


@dataclass(frozen=True)
class Target:
    text: str
    met: bool | None  # None: not measured in this run
    figures: str

    def line(self) -> str:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[self.met]
        return f"- {self.text}: **{verdict}** — {self.figures}"


def first_label_target(found: FirstLabel | None) -> Target:
    if found is None:
        return Target("click → 1st pre-label on a big project <= 2x a small one", None, "not run")
    text = (
        f"click → 1st pre-label on a {found.big_assets:,}-asset project <= {FIRST_LABEL_FACTOR:g}x a "
        f"{found.small_assets:,}-asset one (fixed-latency, 1 worker)"
    )
    small, big = spread(found.small_s), spread(found.big_s)
    if small is None or big is None or small.median <= 0:
        return Target(text, None, "not run")
    factor = big.median / small.median
    figures = (
        f"{big.text(2)} s vs {small.text(2)} s = {factor:.2f}x (needs <= {FIRST_LABEL_FACTOR:.2f}x), "
        f"{big.runs} runs each"
    )
    return Target(text, factor <= FIRST_LABEL_FACTOR, figures)


def rss_target(rss: RssRun | None) -> Target:
    text = "worker RSS flat within 50 MB over its (c) runs"
    if rss is None:
        return Target(text, None, "not run")
    figures = (
        f"one worker, {rss.assets} assets in {rss.runs} runs ({rss.model}, {rss.samples} samples): max RSS "
        f"{rss.first_quarter_mb:.0f} MB in the first quarter of the samples, {rss.last_quarter_mb:.0f} MB "
        f"in the last, growth {rss.growth_mb:+.1f} MB, peak {rss.peak_mb:.0f} MB"
    )
    return Target(text, rss.growth_mb <= 50, figures)


def accept_target(accept: AcceptRun | None) -> Target:
    text = "listener accept p99 < 50 ms"
    if accept is None:
        return Target(text, None, "not run")
    figures = (
        f"{accept.runs} runs on a {accept.project_assets:,}-asset project: p50 {accept.p50_ms:.2f} ms, "
        f"p99 {accept.p99_ms:.2f} ms, max {accept.max_ms:.2f} ms (event in -> socket thread free); "
        f"all {accept.runs} plan jobs queued {accept.enqueued_s:.1f} s after the first click"
    )
    return Target(text, accept.p99_ms < 50, figures)
