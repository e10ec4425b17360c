"""One run as a user sees it: click Run at the emulator, wait for the final response, then read
what the emulator recorded: when the first pre-label arrived, what was asked, what was labeled."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from infra import demo_data
from infra.emulator.control import EmulatorControl

from .calls import AngoCalls, ango_calls

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class RunWatch:
    """What one run looked like from Ango Hub's side (wall-clock epoch seconds)."""

    session: str
    started_at: float
    completed_at: float
    response: dict[str, Any]
    first_import_at: float | None
    last_import_at: float | None
    calls: AngoCalls
    prelabeled: int
    duplicate_objects: int  # objects imported twice onto the same asset

    @property
    def seconds(self) -> float:
        return self.completed_at - self.started_at

    @property
    def first_label_seconds(self) -> float | None:
        return None if self.first_import_at is None else self.first_import_at - self.started_at

    def phases(self) -> str:
        """Where the run's time went: before the first import, importing, after the last import."""
        if self.first_import_at is None or self.last_import_at is None:
            return f"{self.seconds:.1f} s, no import"
        return (
            f"click -> 1st import {self.first_import_at - self.started_at:.1f} s, 1st -> last import "
            f"{self.last_import_at - self.first_import_at:.1f} s, last import -> response "
            f"{self.completed_at - self.last_import_at:.1f} s"
        )


class RunFailedError(RuntimeError):
    """The run ended with an error response or never answered."""


def click_and_wait(
    emulator: EmulatorControl,
    project_id: str,
    category_schema: list[dict[str, str]],
    config_json: str,
    timeout: float,
) -> RunWatch:
    """Reset the project's labels and the request counts, click Run on Batch A, wait for the answer."""
    emulator.reset()
    session = emulator.start_run(
        demo_data.PLUGIN_ID,
        project_id,
        demo_data.API_KEY,
        category_schema=category_schema,
        batches=[demo_data.BATCH_A_ID],
        config_json=config_json,
    )
    state = _wait(emulator, session, timeout)
    response = state["responses"][0]
    if response.get("error") or not state["completedAt"]:
        raise RunFailedError(f"run {session} failed: {response} (last logs: {state['logs'][-3:]})")
    summary = emulator.project_summary(project_id)
    return RunWatch(
        session=session,
        started_at=float(state["startedAt"]),
        completed_at=float(state["completedAt"]),
        response=response,
        first_import_at=summary.first_import_at,
        last_import_at=summary.last_import_at,
        calls=ango_calls(emulator.stats()),
        prelabeled=summary.prelabeled_assets,
        duplicate_objects=summary.duplicate_objects,
    )


def _wait(emulator: EmulatorControl, session: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = emulator.session(session)
        if state["responses"]:
            return state
        if time.monotonic() > deadline:
            logs = state["logs"][-3:]
            raise RunFailedError(f"run {session} gave no response in {timeout:.0f} s; last logs: {logs}")
        time.sleep(POLL_SECONDS)
