"""Where a run's fixed start goes, read from the workers' own log lines (`job <run>/<job>: start`,
`... done`): when the plan job began, when the first infer job began, when every job slot was busy,
when planning ended. Together with the emulator's first import, that splits click -> 1st pre-label."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

TIMESTAMP = "%Y-%m-%d %H:%M:%S,%f%z"


@dataclass(frozen=True)
class StartTimes:
    """Seconds after the click; None when the logs do not say."""

    plan_started: float | None  # the listener accepted and queued the run, a worker took its plan job
    first_job_started: float | None  # the first page was listed, looked up and queued, and taken
    slots_busy: float | None  # as many infer jobs started as there are job slots (or jobs)
    plan_done: float | None  # every page listed and queued

    def text(self) -> str:
        parts = [
            ("plan job running", self.plan_started),
            ("1st infer job running", self.first_job_started),
            ("every job slot busy", self.slots_busy),
            ("planning done", self.plan_done),
        ]
        return ", ".join(f"{name} {value:.2f} s" for name, value in parts if value is not None)


def start_times(logs: Iterable[str], run_id: str, clicked_at: float, slots: int) -> StartTimes:
    events = sorted(_events(logs, run_id))
    starts = [t for t, job, what in events if what == "start" and job != "plan"]
    plan_starts = [t for t, job, what in events if what == "start" and job == "plan"]
    plan_done = [t for t, job, what in events if what == "done" and job == "plan"]
    busy = starts[min(slots, len(starts)) - 1] if starts else None
    return StartTimes(
        _after(plan_starts[0] if plan_starts else None, clicked_at),
        _after(starts[0] if starts else None, clicked_at),
        _after(busy, clicked_at),
        _after(plan_done[-1] if plan_done else None, clicked_at),
    )


def median_start(times: Sequence[StartTimes]) -> StartTimes | None:
    """Each figure's median over the runs that have it."""
    if not times:
        return None
    values = []
    for field in fields(StartTimes):
        found = [v for t in times if (v := getattr(t, field.name)) is not None]
        values.append(statistics.median(found) if found else None)
    return StartTimes(*values)


def _events(logs: Iterable[str], run_id: str) -> Iterable[tuple[float, str, str]]:
    """(epoch seconds, job id, "start" or "done") of this run's jobs."""
    for text in logs:
        for line in text.splitlines():
            if run_id not in line or not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
                message = str(record["message"])
                at = datetime.strptime(str(record["timestamp"]), TIMESTAMP).timestamp()
            except (ValueError, KeyError):
                continue
            prefix = f"job {run_id}/"
            if message.startswith(prefix) and message.endswith((": start", ": done")):
                job, what = message[len(prefix) :].rsplit(": ", 1)
                yield at, job, what


def _after(at: float | None, clicked_at: float) -> float | None:
    return None if at is None else at - clicked_at
