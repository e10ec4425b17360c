"""(e) The field limit: fleets of W workers (each of options.workers) on one API key, at the
product's default Hub budget, against an emulator that limits each key to Hub's rate. A block of its
own after the fixed-latency model's: 8 + 32 more workers at ~200 MB each, beside (c) and (d)'s
41, would crowd a 24 GB machine.

Every worker of every fleet draws from the key's one shared budget (handler/contract/hub_budget.py),
so the figures are: how much of the key's budget the fleet used while its work waited on Hub, and
what share of its calls Hub refused. The model is fast here (options.field_seconds_per_batch per
batch of batch_size): the fleet could go far faster than Hub lets it, as a GPU fleet would.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .environment import LocalAws, add_plugin, bench_emulator, fresh_stack
from .options import BenchOptions
from .processes import say
from .product_runner import ProductSession
from .results import BenchResults, mode_field
from .rounds import Session, start_sessions, stop_sessions

MODEL = "fixed-latency"


def measure_field_limit(aws: LocalAws, options: BenchOptions, logs: Path, results: BenchResults) -> None:
    fleets = [w for w in options.workers if w > 1]
    say(f"field limit: {', '.join(map(str, fleets))} workers on one key, {options.rounds} rounds")
    knobs: dict[str, object] = {
        "rate_limit": True,
        "rate_limit_requests": options.field_requests,
        "rate_limit_window_s": options.field_window_s,
    }
    with contextlib.ExitStack() as stack:
        sessions = [_session(stack, aws, options, logs, workers) for workers in fleets]
        started: list[Session] = list(sessions)
        stack.callback(stop_sessions, started, options.stop_grace)
        start_sessions(started)
        for number in range(1, options.rounds + 1):
            say(f"field limit: round {number} of {options.rounds}")
            for session in sessions:
                row = results.row(MODEL, mode_field(session.workers), session.workers)
                row.expected_prelabeled = session.assets  # the model boxes every image
                row.runs.append(session.run(knobs))


def _session(
    stack: contextlib.ExitStack, aws: LocalAws, options: BenchOptions, logs: Path, workers: int
) -> ProductSession:
    """A fleet on an emulator of its own (the rate limit is the emulator's, per key), at the
    product's default budget (ANGO_REQUESTS_PER_MINUTE) and its shared budget on."""
    emulator = stack.enter_context(bench_emulator(options.field_assets, options.latency_ms, MODEL))
    budget = {"ANGO_REQUESTS_PER_MINUTE": f"{options.field_budget:g}"}
    return ProductSession(
        emulator,
        aws,
        stack.enter_context(fresh_stack()),
        MODEL,
        options,
        logs / f"e{workers}",
        add_plugin(emulator, f"e{workers}"),
        workers,
        options.field_assets,
        budget,
        seconds_per_batch=options.field_seconds_per_batch,
        batch_size=options.batch_size,
    )
