"""Inline SVG charts for the run report: horizontal bars, a histogram, a line over time. Plain
strings, no library and no script, so the page opens anywhere and stays one file."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"


def bars(items: Sequence[tuple[str, float, str]], width: int = 460) -> str:
    """One horizontal bar per (label, value, colour), value written at its end."""
    row, label_w = 26, 150
    top = max([value for _, value, _ in items] + [1])
    parts = []
    for n, (label, value, colour) in enumerate(items):
        y, length = n * row, (width - label_w - 60) * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" height="16" rx="3" fill="{colour}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 17}" fill="{MUTED}">{value:g}</text>'
        )
    return _svg(width, max(1, len(items)) * row, "".join(parts))


def histogram(bins: Sequence[int], width: int = 460, height: int = 180, colour: str = "#6366f1") -> str:
    """Vertical bars over [0, 1] in len(bins) equal steps, with their counts above them."""
    left, bottom, top = 10, height - 24, max([*bins, 1])
    step = (width - 2 * left) / max(1, len(bins))
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{width - left}" y2="{bottom}" stroke="{GRID}"/>']
    for n, count in enumerate(bins):
        h, x = (bottom - 20) * count / top, left + n * step
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{bottom - h:.1f}" width="{step - 4:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/>{_label(x + step / 2, bottom - h - 4, str(count), "middle")}'
            f"{_label(x, height - 6, f'{n / len(bins):.1f}', 'middle')}"
        )
    parts.append(f'<text x="{width - left}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">1.0</text>')
    return _svg(width, height, "".join(parts))


def line(points: Sequence[tuple[float, float]], width: int = 460, height: int = 180) -> str:
    """Cumulative assets done (y) against seconds since the run started (x)."""
    if not points:
        return _svg(width, 40, f'<text x="10" y="24" fill="{MUTED}">no timed jobs</text>')
    left, bottom = 48, height - 24
    x_max, y_max = max(p[0] for p in points) or 1.0, max(p[1] for p in points) or 1.0
    scaled = [(left + (width - left - 10) * x / x_max, bottom - (bottom - 10) * y / y_max) for x, y in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in [(left, bottom), *scaled])
    return _svg(
        width,
        height,
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="{GRID}"/>'
        f'<line x1="{left}" y1="10" x2="{left}" y2="{bottom}" stroke="{GRID}"/>'
        f'<polyline points="{path}" fill="none" stroke="#059669" stroke-width="2"/>'
        f'<text x="{left - 6}" y="16" text-anchor="end" fill="{MUTED}">{y_max:.0f}</text>'
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" fill="{MUTED}">0</text>'
        f'<text x="{width - 10}" y="{height - 6}" text-anchor="end" fill="{MUTED}">{x_max:.0f} s</text>'
        f'<text x="{left}" y="{height - 6}" fill="{MUTED}">0 s</text>',
    )


def _label(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{MUTED}">{escape(text)}</text>'


def _svg(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">{body}</svg>'
    )
