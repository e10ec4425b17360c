"""The first job of a run: list the selected assets page by page and queue them as work jobs.

Planning streams: each page of assets is looked up on Hub's tasks listing (status, pre-label mark,
and which externalIds other assets share) and whatever is ready fills jobs, which leave at once; the
first job leaves after the first page. Which page comes next, in a listing that moves while assets
are uploaded, is handler/planning/listing_walk.py's to say. A cursor in the ledger, saved after every page,
lets a plan job that was killed (or whose time slice ran out) go on from its last page. Assets that
need no job (task not To Do, already pre-labeled, no data URL) are counted here and reported with
the plan.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from handler.contract.ango import AngoClient
from handler.contract.chunks import job_chunks
from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef, InferJob, PlanJob, RunFailed
from handler.contract.records import (
    MAX_FAILURES_IN_STATUS,
    ListingPosition,
    PlanCursor,
    RunPlan,
    RunRecord,
)
from handler.deps import Deps
from handler.planning.listing_walk import ListingStep, page_to_read, step
from handler.planning.plan_page import PageOutcome, PageTasks

logger = logging.getLogger(__name__)


def plan_run(job: PlanJob, run: RunRecord, deps: Deps) -> RunPlan | None:
    """Plan the run, or go on planning it; the plan if this attempt finished it."""
    plan = deps.ledger.load_plan(run.run_id)
    finished_now = plan is None
    if plan is None:
        try:
            with deps.hub_client(run) as client:
                plan = _Planner(run, deps, client).resume()
        except AngoError as exc:
            logger.warning("run %s: cannot list assets: %s", run.run_id, exc)
            reason = (
                f"Could not list the project's assets: Ango Hub answered {exc.status} ({exc.hub_message})"
            )
            deps.status.send(RunFailed(run_id=run.run_id, reason=reason[:500]))
            return None
        if plan is None:  # the time slice ran out: a fresh message goes on from the cursor
            deps.jobs.send(PlanJob(run_id=run.run_id))
            return None
    deps.status.send(plan.event(run.run_id))
    return plan if finished_now else None


class _Planner:
    def __init__(self, run: RunRecord, deps: Deps, client: AngoClient) -> None:
        self._run, self._deps, self._client = run, deps, client
        self._config = run.config
        self._selections: list[str | None] = list(run.batches) or [None]
        self._cursor = deps.ledger.load_plan_cursor(run.run_id) or PlanCursor()
        self._deadline = time.monotonic() + deps.settings.plan_slice_seconds

    def resume(self) -> RunPlan | None:
        """The finished plan, or None when the time slice ran out first. A cancelled run stops
        listing: what was listed is queued (and dropped by the handlers) and the plan is final."""
        while self._cursor.selection < len(self._selections):
            if self._deps.ledger.is_cancelled(self._run.run_id):
                logger.info("run %s: cancelled while listing", self._run.run_id)
                return self._finish(cancelled=True)
            if time.monotonic() > self._deadline:
                logger.info(
                    "run %s: listed %d assets; going on in a new message",
                    self._run.run_id,
                    self._cursor.listed,
                )
                return None
            self._next_page()
        return self._finish()

    def _next_page(self) -> None:
        cursor, batch = self._cursor, self._selections[self._cursor.selection]
        number = page_to_read(cursor.position)
        page = self._client.asset_page(self._run.project_id, number, batch)
        walked = step(cursor.position, number, page.total, len(page.assets))
        update = self._sort(page.assets[walked.start :])
        # The first job leaves after the first page: the first pre-labels should not wait for more.
        jobs, pending = self._fill_jobs(cursor.pending + tuple(update.ready), flush=cursor.next_job == 0)
        # Jobs first, cursor second: a crash in between lists the page again and sends the same
        # job ids, which handlers skip once done.
        self._deps.jobs.send_many(jobs)
        next_job = cursor.next_job + len(jobs)
        place = self._place_after(walked, update, page.assets)
        self._save(update.cursor(next_job=next_job, pending=pending, **place))

    def _place_after(
        self, walked: ListingStep, update: PageOutcome, listed: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The cursor's place after a page: the walk's position and the page's asset ids, or the
        next selection once this one is listed (or a trial has its assets)."""
        if self._sampled(update):
            return {"selection": len(self._selections), "position": ListingPosition(), "recent_ids": ()}
        if walked.done:
            return {"selection": self._cursor.selection + 1, "position": ListingPosition(), "recent_ids": ()}
        # A page read again with none of it taken keeps the ids of the last page that was.
        taken = walked.start < len(listed)
        recent_ids = tuple(_text(a.get("_id")) for a in listed) if taken else self._cursor.recent_ids
        return {"selection": self._cursor.selection, "position": walked.position, "recent_ids": recent_ids}

    def _sort(self, assets: list[dict[str, Any]]) -> PageOutcome:
        """The page's assets not seen before, sorted: ready, skipped or failed."""
        cursor = self._cursor
        recent = set(cursor.recent_ids)
        fresh = [a for a in assets if _text(a.get("_id")) not in recent]
        external_ids = [_text(a.get("externalId")) for a in fresh if _text(a.get("externalId"))]
        tasks = PageTasks(self._client.task_states(self._run.project_id, external_ids))
        # Hub's batch filter means "in all of these"; a run over several batches means "in any":
        # each batch is listed in turn, and an asset of an earlier one was taken there.
        earlier = {b for b in self._selections[: cursor.selection] if b}
        update = PageOutcome(cursor, MAX_FAILURES_IN_STATUS)
        for asset in fresh:
            if self._sampled(update):
                break
            if not earlier & tasks.batches_of(asset):
                update.add(asset, tasks, self._config.existing)
        return update

    def _sampled(self, update: PageOutcome) -> bool:
        """A trial run (`sample`: N) takes the first N assets ready to label, and lists no more."""
        sample = self._config.sample
        return sample is not None and update.ready_in_all >= sample

    def _fill_jobs(
        self, pending: tuple[AssetRef, ...], flush: bool
    ) -> tuple[list[InferJob], tuple[AssetRef, ...]]:
        size = self._config.job_size
        cut = len(pending) if flush else len(pending) - len(pending) % size
        jobs = list(job_chunks(self._run.run_id, "{:06d}", self._cursor.next_job, pending[:cut], size))
        return jobs, pending[cut:]

    def _finish(self, cancelled: bool = False) -> RunPlan:
        jobs, _ = self._fill_jobs(self._cursor.pending, flush=True)
        self._deps.jobs.send_many(jobs)
        cursor = self._cursor
        plan = RunPlan(
            total_assets=cursor.listed,
            total_jobs=cursor.next_job + len(jobs),
            skipped=cursor.skipped,
            failed=cursor.failed,
            failures=cursor.failures,
            cancelled=cancelled,
        )
        self._deps.ledger.save_plan(self._run.run_id, plan)
        logger.info(
            "run %s: planned %d assets in %d jobs", self._run.run_id, plan.total_assets, plan.total_jobs
        )
        return plan

    def _save(self, cursor: PlanCursor) -> None:
        self._deps.ledger.save_plan_cursor(self._run.run_id, cursor)
        self._cursor = cursor


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
