"""What `ango-batch runs`, `status` and `report` show, read from the ledger (no key is decrypted): one
row per run, and one run's progress, ETA, failures and where the time went."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from handler.contract.ledger import Ledger
from handler.contract.messages import JobCounts
from handler.contract.records import FinalRecord, RunPlan, RunRecord
from handler.contract.run_figures import RunFigures, done_assets, eta_seconds, skipped_by_why, to_label
from handler.contract.run_state import RunState, run_state


class UnknownRun(Exception):
    """No such run in the ledger."""


@dataclass
class RunView:
    """One run as the ledger has it, each record read once, job results only when needed: an
    answered run's row comes from its final record's totals (a big run has thousands of jobs)."""

    run: RunRecord
    state: RunState
    ledger: Ledger
    plan: RunPlan | None
    final: FinalRecord | None

    @classmethod
    def read(cls, ledger: Ledger, run_id: str) -> RunView:
        run = ledger.load_run(run_id)
        if run is None:
            raise UnknownRun(f"no run {run_id} in the ledger")
        files = ledger.run_files(run_id)
        return cls(run, run_state(files), ledger, ledger.load_plan(run_id), ledger.load_final(run_id))

    @cached_property
    def figures(self) -> RunFigures:
        run_id = self.run.run_id
        return RunFigures(self.ledger.list_job_results(run_id), self.ledger.list_retries(run_id))

    def totals(self) -> JobCounts:
        final = self.final
        return final.totals if final is not None and final.totals is not None else self.figures.totals()

    def row(self, now: float | None = None) -> dict[str, Any]:
        plan, final, totals = self.plan, self.final, self.totals()
        end = final.finished_at if final is not None and final.finished_at else (now or time.time())
        return {
            "run_id": self.run.run_id,
            "project_id": self.run.project_id,
            "run_by": self.run.run_by,
            "state": self.state,
            "selected": plan.total_assets if plan else None,
            "labeled": totals.assets_labeled,
            "empty": totals.assets_empty,
            "failed": totals.assets_failed + (plan.failed if plan else 0),
            "skipped": sum(skipped_by_why(plan, totals).values()),
            "not_processed": totals.assets_cancelled,
            "objects": totals.objects_created,
            "answers": totals.answers_given,
            "started_at": self.run.accepted_at,
            "duration_seconds": round(end - self.run.accepted_at, 1),
        }

    def status(self, now: float | None = None) -> dict[str, Any]:
        plan, final = self.plan, self.final
        done = done_assets(self.figures.totals())
        eta = None if final is not None else eta_seconds(self.figures, plan, now)
        failures = [{"external_id": f.external_id, "reason": f.reason} for f in self.figures.failures()]
        plan_failures = (
            [{"external_id": f.external_id, "reason": f.reason} for f in plan.failures] if plan else []
        )
        return {
            **self.row(now),
            "to_label": to_label(plan) if plan else None,
            "done": done,
            "jobs_planned": plan.total_jobs if plan else None,
            "jobs_done": len(self.figures.results),
            "eta_seconds": None if eta is None else round(eta, 1),
            "seconds": {name: round(value, 2) for name, value in self.figures.seconds().items()},
            "failures": plan_failures + failures,
            "retries": [retry.round for retry in self.figures.retries],
            "final": final.message if final else None,
            "config": self.run.config.model_dump(exclude={"model"}),
        }


def recent_rows(
    ledger: Ledger, limit: int, project: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    """Rows of recent runs, newest first, filtered; at most `limit`."""
    rows = []
    for run_id in ledger.recent_run_ids():
        run = ledger.load_run(run_id)
        if run is None or (project is not None and run.project_id != project):
            continue
        view = RunView.read(ledger, run_id)
        if state is None or view.state == state:
            rows.append(view.row())
        if len(rows) >= limit:
            break
    return rows
