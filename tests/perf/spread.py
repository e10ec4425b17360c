"""Medians and spreads of repeated runs: every figure the table shows is the median of its runs,
with the lowest and highest beside it; ratios are taken between medians."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

DASH = "\N{EN DASH}"  # between min and max, as in "12.3 (11.9\N{EN DASH}12.8)"


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    runs: int

    def text(self, digits: int) -> str:
        """`12.3 (11.9-12.8)` with an en dash, or `12.3` when every run gave the same figure."""
        median, low, high = (f"{v:.{digits}f}" for v in (self.median, self.low, self.high))
        return median if low == high else f"{median} ({low}{DASH}{high})"


def spread(values: Iterable[float | None]) -> Spread | None:
    """Median, min and max of the values that were measured (None and NaN left out)."""
    measured = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not measured:
        return None
    return Spread(statistics.median(measured), min(measured), max(measured), len(measured))


def ratio(numerator: Spread | None, denominator: Spread | None) -> float | None:
    """The ratio of two medians; None when either was not measured (or the denominator is 0)."""
    if numerator is None or denominator is None or denominator.median <= 0:
        return None
    return numerator.median / denominator.median
