"""Where the gaps to the scaling targets go, from the CPU figures: what the model, the product and
the test bed (emulator + LocalStack) cost per asset, and what 2 CPUs can carry at those costs."""

from __future__ import annotations

import os

from .accounting import localstack_background, median_split, other_work
from .results import MODE_ALONE, ModeRow, mode_product
from .spread import ratio
from .targets import find_row


def one_worker_gap(rows: list[ModeRow], model: str, name: str) -> list[str]:
    """A CPU-bound model's (c) against its (a) by CPU cost, which other work on the machine does
    not move (Haar's and OCR's rows; `name` is how the notes call the model)."""
    alone, one = find_row(rows, model, MODE_ALONE), find_row(rows, model, mode_product(1))
    if alone is None or one is None:
        return []
    background = localstack_background(alone.runs)
    split_a, split_c = median_split(alone.runs, background), median_split(one.runs, background)
    if split_a is None or split_c is None or split_c.own <= 0:
        return []
    cost, product, bed = split_a.own, split_c.own, split_c.test_bed  # core-ms an asset
    return [
        f"{name} (a), per asset (medians): {split_a.text()}.",
        f"{name} (c), per asset (medians): {split_c.text()}; LocalStack counted beyond the "
        f"{background:.2f} cores it used during (a), when the benchmark asked nothing of it.",
        f"{name} (c) against (a) by CPU cost: the model costs {cost:.1f} core-ms an asset, the product's "
        f"processes {product:.1f} ({product - cost:+.1f} beyond the model: download, decode, checks, "
        f"queues, imports, listener), the test bed {bed:.1f} (emulator {split_c.emulator:.1f}, LocalStack "
        f"{split_c.localstack:.1f}). CPU-bound on CPUs of its own, (c) would run at model / (product + test "
        f"bed) = {cost / (product + bed):.2f}x (a), and at {cost / product:.2f}x with the test bed "
        f"elsewhere. Measured: {ratio(one.rate, alone.rate) or 0:.2f}x, while other work took "
        f"{other_work(alone):.2f} cores during (a) and {other_work(one):.2f} during (c).",
    ]


def scaling_gap(rows: list[ModeRow], workers: int) -> list[str]:
    """Whether the machine has the CPU, and planning the pace, for W x one worker's rate."""
    fixed = "fixed-latency"
    alone = find_row(rows, fixed, MODE_ALONE)
    one, many = find_row(rows, fixed, mode_product(1)), find_row(rows, fixed, mode_product(workers))
    if one is None or many is None or one.rate is None or workers < 2:
        return []
    split = median_split(many.runs, localstack_background(alone.runs) if alone else 0.0)
    if split is None or split.own <= 0:
        return []
    ideal, cpus = workers * one.rate.median, os.cpu_count() or 1
    product, bed = split.own * ideal / 1000, split.test_bed * ideal / 1000
    supply = many.stat(lambda r: r.assets / r.start.plan_done if r.start and r.start.plan_done else None)
    planned = (
        "" if supply is None else f" Planning queued {supply.text(0)} assets/s (assets / planning done)."
    )
    return [
        f"fixed-latency {many.mode.split(' ', 1)[0]}, per asset (medians): {split.text()}. At {workers} x "
        f"the 1-worker rate ({ideal:.0f} assets/s) the product's processes would need {product:.2f} cores "
        f"and the test bed {bed:.2f}: {product + bed:.2f} of the machine's {cpus}. At these costs {cpus} "
        f"CPUs carry at most {cpus * 1000 / (split.own + split.test_bed):.0f} assets/s, "
        f"{cpus * 1000 / split.own:.0f} with the test bed elsewhere; other work took {other_work(many):.2f} "
        f"cores.{planned}"
    ]
