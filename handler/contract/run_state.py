"""A run's state, read off which of its ledger records exist (see handler/contract/ledger.py).

Written once here, for `ango-batch runs` and `status`, the relay and the Hub actions alike."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

RunState = Literal["accepted", "planning", "running", "answered", "cancelled"]
STATES: tuple[RunState, ...] = ("accepted", "planning", "running", "answered", "cancelled")


def run_state(files: Collection[str]) -> RunState:
    """`files`: the names directly under `runs/<run_id>/` (run.json, queued, plan.json, ...)."""
    if "cancelled" in files:
        return "cancelled"
    if "final.json" in files:
        return "answered"
    if "plan.json" in files:
        return "running"
    if "queued" in files or "plan-cursor.json" in files:
        return "planning"
    return "accepted"


def is_finished(files: Collection[str]) -> bool:
    """Answered: nothing more happens to the run unless someone retries it."""
    return "final.json" in files
