"""`ango-batch report RUN`: one self-contained HTML page about a run, from its ledger records: counts
per outcome and per class, a histogram of scores, throughput over time, where the time went, the
failures, and a few labeled assets with their boxes drawn. Stored with the run in the ledger.

Pictures are downloaded through the handler's guarded fetcher. Only public URLs can be: private
storage needs a URL signed by Hub with the user's key, which this command never decrypts; such an
asset is shown without its picture."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from html import escape
from typing import Any

from handler.contract.ledger import Ledger
from handler.contract.records import SampleAsset
from handler.contract.run_view import RunView
from handler.report_charts import bars, histogram, line

logger = logging.getLogger(__name__)
SAMPLES = 4
FAILURE_ROWS = 200
Fetch = Callable[[str], bytes]
OUTCOMES = (
    ("pre-labeled", "labeled", "#059669"),
    ("nothing to label", "empty", "#9ca3af"),
    ("failed", "failed", "#dc2626"),
    ("skipped", "skipped", "#d97706"),
    ("not processed", "not_processed", "#6b7280"),
)


def report_figures(view: RunView) -> dict[str, Any]:
    """Every figure the page shows, as data (what the tests check against the ledger)."""
    status, figures = view.status(), view.figures
    bins, unscored = figures.score_bins()
    start = view.run.accepted_at
    return {
        "status": status,
        "outcomes": {label: status[key] for label, key, _ in OUTCOMES},
        "classes": dict(sorted(figures.classes().items(), key=lambda kv: (-kv[1], kv[0]))),
        "score_bins": bins,
        "unscored": unscored,
        "timeline": [(round(at - start, 1), done) for at, done in figures.timeline()],
        "seconds": status["seconds"],
    }


def render(view: RunView, fetch: Fetch | None) -> str:
    f = report_figures(view)
    s = f["status"]
    outcome_bars = bars([(label, f["outcomes"][label], colour) for label, _, colour in OUTCOMES])
    class_bars = bars([(name, count, "#2563eb") for name, count in f["classes"].items()])
    time_bars = bars([(name, round(value, 1), "#7c3aed") for name, value in f["seconds"].items()])
    sections = [
        _section("Outcome", outcome_bars),
        _section("Objects per class", class_bars if f["classes"] else "<p>No objects.</p>"),
        _section("Scores of kept predictions", histogram(f["score_bins"]) + _unscored(f["unscored"])),
        _section(f"Assets done over time{_pace(view.figures.seconds_per_asset())}", line(f["timeline"])),
        _section("Where the time went (seconds, summed over jobs)", time_bars),
        _section(f"Failures ({len(s['failures'])})", _failures(s["failures"])),
        _section("Labeled assets", _samples(view.figures.samples(SAMPLES), fetch)),
    ]
    return _page(view, s, "".join(sections))


def write_report(ledger: Ledger, run_id: str, path: str, fetch: Fetch | None) -> str:
    html = render(RunView.read(ledger, run_id), fetch)
    with open(path, "w", encoding="utf-8") as out:
        out.write(html)
    ledger.save_report(run_id, html)
    return html


def _page(view: RunView, s: dict[str, Any], body: str) -> str:
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(s["started_at"]))
    final = f'<p class="final">{escape(s["final"])}</p>' if s["final"] else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Run {escape(view.run.run_id)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Run {escape(view.run.run_id)}</h1>"
        f'<p class="meta">project {escape(s["project_id"])} · by {escape(s["run_by"])} · {escape(s["state"])}'
        f" · started {started} · {s['duration_seconds']} s · {s['labeled']} of {s['selected']} assets"
        f" pre-labeled with {s['objects']} objects</p>{final}<main>{body}</main></body></html>"
    )


def _section(title: str, content: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{content}</section>"


def _pace(seconds_per_asset: float | None) -> str:
    return "" if seconds_per_asset is None else f" ({60 / max(seconds_per_asset, 1e-6):.0f} assets a minute)"


def _unscored(count: int) -> str:
    return f"<p>{count} kept predictions had no score.</p>" if count else ""


def _failures(failures: list[dict[str, str]]) -> str:
    if not failures:
        return "<p>None.</p>"
    rows = "".join(
        f"<tr><td>{escape(f['external_id'])}</td><td>{escape(f['reason'])}</td></tr>"
        for f in failures[:FAILURE_ROWS]
    )
    more = f"<p>and {len(failures) - FAILURE_ROWS} more.</p>" if len(failures) > FAILURE_ROWS else ""
    return f"<table><tr><th>asset</th><th>reason</th></tr>{rows}</table>{more}"


def _samples(samples: list[SampleAsset], fetch: Fetch | None) -> str:
    if not samples:
        return "<p>No labeled assets recorded.</p>"
    cards = []
    for sample in samples:
        picture = _picture(sample, fetch)
        shown = (
            f'<img alt="{escape(sample.external_id)}" src="{picture}">' if picture else "<p>(no picture)</p>"
        )
        caption = f"{escape(sample.external_id)}: {len(sample.boxes)} boxes"
        cards.append(f"<figure>{shown}<figcaption>{caption}</figcaption></figure>")
    return f'<div class="samples">{"".join(cards)}</div>'


def _picture(sample: SampleAsset, fetch: Fetch | None) -> str | None:
    """The asset with its boxes, as a JPEG data URI; None if it cannot be downloaded (e.g. private)."""
    if fetch is None:
        return None
    try:
        from handler.report_pictures import draw_boxes

        png = draw_boxes(fetch(sample.data_url), sample.boxes)
    except Exception as exc:  # one missing picture must not cost the report
        logger.warning("report: no picture of asset %s: %s", sample.asset_id, type(exc).__name__)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(png).decode()


_CSS = (
    "body{font-family:system-ui,sans-serif;color:#1f2937;margin:24px auto;max-width:1000px;padding:0 16px}"
    "h1{font-size:22px;margin:0}.meta{color:#6b7280}"
    ".final{background:#f3f4f6;padding:8px 12px;border-radius:6px}"
    "main{display:grid;grid-template-columns:1fr 1fr;gap:16px}section{border:1px solid #e5e7eb;"
    "border-radius:8px;padding:12px}h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;"
    "font-size:12px;width:100%}td,th{text-align:left;border-bottom:1px solid #e5e7eb;padding:3px}"
    ".samples{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}img{max-width:220px;border-radius:4px}"
    "figcaption{font-size:11px;color:#6b7280}"
)
