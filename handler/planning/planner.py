"""The first job of a run: list the selected assets page by page and queue them as work jobs.

Planning streams: each page of Hub's tasks listing (one call per 100 assets; listings.py says which
listing and why) is sorted, and whatever is ready fills jobs, which leave at once; the first job
leaves after the first page. Which page comes next, in a listing that moves while assets are
uploaded, is listing_walk.py's to say. A cursor in the ledger, saved after every page, lets a plan
job that was killed (or whose time slice ran out) go on from its last page. Assets that need no job
(media the model does not read, task not To Do, already pre-labeled, no data URL) are counted here
and reported with the plan.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from handler.contract.ango import AngoClient
from handler.contract.chunks import job_chunks
from handler.contract.hub_http import AngoError
from handler.contract.hub_shapes import HubShapeError
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
from handler.planning.listings import ASSETS, TASKS, AssetListing, ListedAsset, Listing, TaskListing
from handler.planning.plan_page import PageOutcome

logger = logging.getLogger(__name__)


def plan_run(job: PlanJob, run: RunRecord, deps: Deps) -> RunPlan | None:
    """Plan the run, or go on planning it; the plan if this attempt finished it."""
    plan = deps.ledger.load_plan(run.run_id)
    finished_now = plan is None
    if plan is None:
        try:
            with deps.hub_client(run) as client:
                planner = _Planner(run, deps, client)
                plan = planner.resume()
        except AngoError as exc:
            logger.warning("run %s: cannot list assets: %s", run.run_id, exc)
            reason = (
                f"Could not list the project's assets: Ango Hub answered {exc.status} ({exc.hub_message})"
            )
            deps.status.send(RunFailed(run_id=run.run_id, reason=reason[:500]))
            return None
        except HubShapeError as exc:
            # A shape no reader takes: fail once, loudly, with what was seen, rather than count
            # every asset as "status unknown".
            logger.error("run %s: cannot read Hub's listing: %s", run.run_id, exc)
            reason = f"Could not read Ango Hub's listing of the project: {exc}"
            deps.status.send(RunFailed(run_id=run.run_id, reason=reason[:500]))
            return None
        if plan is None:  # the time slice ran out, or the run waits for room: a fresh message goes
            wait = deps.settings.plan_wait_seconds if planner.waiting else 0
            deps.jobs.send(PlanJob(run_id=run.run_id), delay_seconds=wait)  # on from the cursor
            return None
    deps.status.send(plan.event(run.run_id))
    return plan if finished_now else None


class _Planner:
    def __init__(self, run: RunRecord, deps: Deps, client: AngoClient) -> None:
        self._run, self._deps, self._client = run, deps, client
        self._config = run.config
        self._cursor = deps.ledger.load_plan_cursor(run.run_id) or PlanCursor()
        self._deadline = time.monotonic() + deps.settings.plan_slice_seconds
        self.waiting = False  # stopped because the run has as many jobs ahead as it may

    @property
    def _selections(self) -> list[str | None]:
        """What is listed in turn: the tasks listing takes every batch at once; the assets
        listing one batch at a time."""
        if self._cursor.source == ASSETS:
            return list(self._run.batches) or [None]
        return [None]

    def _listing(self) -> Listing:
        project_id, client = self._run.project_id, self._client
        if self._cursor.source == ASSETS:
            return AssetListing(client, project_id, self._selections[self._cursor.selection])
        return TaskListing(client, project_id, self._run.batches)

    def _jobs_ahead_at_most(self) -> bool:
        """Whether the run has as many jobs queued and not finished as it may (fair turns: see
        Settings.jobs_ahead_per_run); the job results are listed only when it might."""
        ahead, queued = self._deps.settings.jobs_ahead_per_run, self._cursor.next_job
        if ahead == 0 or queued < ahead:
            return False
        return queued - self._deps.ledger.count_job_results(self._run.run_id) >= ahead

    def resume(self) -> RunPlan | None:
        """The finished plan, or None when the time slice ran out first or the run has as many
        jobs ahead as it may (it lists on when some have finished). A cancelled run stops
        listing: what was listed is queued (and dropped by the handlers) and the plan is final."""
        while self._cursor.selection < len(self._selections):
            if self._deps.ledger.is_cancelled(self._run.run_id):
                logger.info("run %s: cancelled while listing", self._run.run_id)
                return self._finish(cancelled=True)
            if self._jobs_ahead_at_most():
                self.waiting = True
                logger.info(
                    "run %s: %d jobs queued; listing on as they finish",
                    self._run.run_id,
                    self._cursor.next_job,
                )
                return None
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
        cursor = self._cursor
        number = page_to_read(cursor.position)
        page = self._listing().read(number)
        if cursor.source is None:
            if not self._choose_source(page.carries_data):
                return
            cursor = self._cursor
        walked = step(cursor.position, number, page.total, len(page.assets))
        update = self._sort(page.assets[walked.start :])
        # The first job leaves after the first page: the first pre-labels should not wait for more.
        jobs, pending = self._fill_jobs(cursor.pending + tuple(update.ready), flush=cursor.next_job == 0)
        # Jobs first, cursor second: a crash in between lists the page again and sends the same
        # job ids, which handlers skip once done.
        self._deps.jobs.send_many(jobs)
        next_job = cursor.next_job + len(jobs)
        place = self._place_after(walked, update, page.assets)
        self._save(update.cursor(source=cursor.source, next_job=next_job, pending=pending, **place))

    def _choose_source(self, tasks_carry_data: bool) -> bool:
        """Fix the listing on the first page read; False when that page is to be read again from
        the assets listing, because the tasks do not say where their assets' files are."""
        if tasks_carry_data:
            self._save(self._cursor.model_copy(update={"source": TASKS}))
            return True
        logger.warning(
            "run %s: Hub's tasks listing gives no data URL for its assets; planning from the "
            "assets listing instead (two Hub calls per 100 assets instead of one)",
            self._run.run_id,
        )
        self._save(self._cursor.model_copy(update={"source": ASSETS}))
        return False

    def _place_after(
        self, walked: ListingStep, update: PageOutcome, listed: list[ListedAsset]
    ) -> dict[str, Any]:
        """The cursor's place after a page: the walk's position and the page's asset ids, or the
        next selection once this one is listed (or a trial has its assets)."""
        if self._sampled(update):
            return {"selection": len(self._selections), "position": ListingPosition(), "recent_ids": ()}
        if walked.done:
            return {"selection": self._cursor.selection + 1, "position": ListingPosition(), "recent_ids": ()}
        # A page read again with none of it taken keeps the ids of the last page that was.
        taken = walked.start < len(listed)
        recent_ids = tuple(a.asset_id for a in listed) if taken else self._cursor.recent_ids
        return {"selection": self._cursor.selection, "position": walked.position, "recent_ids": recent_ids}

    def _sort(self, assets: list[ListedAsset]) -> PageOutcome:
        """The page's assets not seen before, sorted: ready, skipped or failed. An asset seen
        before is one a deletion pushed back into view, or one whose other (consensus) task was
        taken: each asset is taken once."""
        cursor = self._cursor
        seen = set(cursor.recent_ids)
        # Several batches through the assets listing: each is listed in turn (its filter means
        # "in all of these"), and an asset of an earlier one was taken there.
        earlier = {b for b in self._selections[: cursor.selection] if b}
        reads = self._deps.model_factory.spec.reads  # the rest skipped, never downloaded
        update = PageOutcome(cursor, MAX_FAILURES_IN_STATUS, reads)
        for asset in assets:
            if self._sampled(update):
                break
            if asset.asset_id in seen or earlier & asset.batches:
                continue
            seen.add(asset.asset_id)
            update.add(asset, self._config.existing)
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
