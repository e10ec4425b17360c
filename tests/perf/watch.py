"""One run as a user sees it: click Run at the emulator, wait for the final response, then read
what the emulator recorded: when the first pre-label arrived, what was asked, what was labeled."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import requests

from infra import demo_data
from infra.emulator.control import EmulatorControl

from .calls import AngoCalls, ango_calls
from .cpu import CpuUse
from .results import RunSample

# The run's times come from the emulator's own clock, so a slower poll loses no precision; each
# poll costs the emulator ~0.6 ms of CPU, which a CPU-bound run would otherwise share.
POLL_SECONDS = 0.5
FAILED = re.compile(r"(\d+) assets failed")


@dataclass(frozen=True)
class Click:
    """What one click of Run sends: to which plugin, on which project, with which settings."""

    plugin_id: str
    project_id: str
    category_schema: list[dict[str, str]]
    config_json: str
    knobs: dict[str, Any] | None = None  # emulator knobs for this run, set after the reset
    api_key: str = demo_data.API_KEY  # the user who clicks: their key is the run's


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

    def sample(self, assets: int, peak_rss_mb: float, cpu: CpuUse, **more: Any) -> RunSample:
        """This run as one row of the table; `more` adds what only the caller knows (SQS calls...)."""
        return RunSample(
            assets=assets,
            seconds=self.seconds,
            prelabeled=self.prelabeled,
            duplicate_objects=self.duplicate_objects,
            import_calls=self.calls.imports,
            hub_calls=self.calls.hub,
            throttled=self.calls.throttled,
            downloads=self.calls.downloads,
            peak_rss_mb=peak_rss_mb,
            first_label_s=self.first_label_seconds,
            cpu=cpu,
            phases=self.phases(),
            **more,
        )

    @property
    def failed_assets(self) -> int | None:
        """Failed assets as the final message counts them (the product's message; None otherwise)."""
        found = FAILED.search(str(self.response.get("response", "")))
        return int(found.group(1)) if found else None

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


def click(emulator: EmulatorControl, run: Click) -> str:
    """Reset the project's labels, the request counts and the knobs; set this run's knobs; click Run
    on Batch A. Returns the session."""
    emulator.reset()
    if run.knobs:
        emulator.configure(**run.knobs)
    return start(emulator, run)


def start(emulator: EmulatorControl, run: Click) -> str:
    """Click Run on Batch A as it is, without a reset (a second run beside one under way)."""
    return emulator.start_run(
        run.plugin_id,
        run.project_id,
        run.api_key,
        category_schema=run.category_schema,
        batches=[demo_data.BATCH_A_ID],
        config_json=run.config_json,
    )


def click_and_wait(emulator: EmulatorControl, run: Click, timeout: float) -> RunWatch:
    """Click, wait for the answer, and read the run back from the emulator."""
    return watch_run(emulator, run, click(emulator, run), timeout)


def watch_run(emulator: EmulatorControl, run: Click, session: str, timeout: float) -> RunWatch:
    """Wait for a clicked run's answer and read it back from the emulator."""
    state = _wait(emulator, session, timeout)
    response = state["responses"][0]
    if response.get("error") or not state["completedAt"]:
        raise RunFailedError(f"run {session} failed: {response} (last logs: {state['logs'][-3:]})")
    summary = emulator.project_summary(run.project_id)
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
        try:
            state = emulator.session(session)
        except requests.Timeout:
            # The emulator answers nothing while it checks an import against a video's frames, which
            # it counts by decoding the video whole (infra/emulator/model.py, count_frames): a minute
            # and more for 30 minutes of 1080p, longer than its control client waits. Ask again.
            if time.monotonic() > deadline:
                raise RunFailedError(
                    f"run {session}: the emulator did not answer for {timeout:.0f} s"
                ) from None
            continue
        if state["responses"]:
            return state
        if time.monotonic() > deadline:
            logs = state["logs"][-3:]
            raise RunFailedError(f"run {session} gave no response in {timeout:.0f} s; last logs: {logs}")
        time.sleep(POLL_SECONDS)
