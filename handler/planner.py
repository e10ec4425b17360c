"""The first job of a run: enumerate the selected assets and enqueue them as work jobs."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence

from handler.ango import AngoError
from handler.deps import Deps
from handler.job import MAX_MESSAGE_BYTES, AssetRef, InferJob, PlanJob, RunFailed, RunPlanned
from handler.ledger import RunPlan, RunRecord
from handler.run_config import RunConfig

logger = logging.getLogger(__name__)


def plan_run(job: PlanJob, run: RunRecord, deps: Deps) -> None:
    plan = deps.ledger.load_plan(run.run_id)
    if plan is None:
        try:
            assets = _selected_assets(run, deps)
        except AngoError as exc:
            logger.warning("run %s: cannot enumerate assets: %s", run.run_id, exc)
            reason = (
                f"Could not list the project's assets: Ango Hub answered {exc.status} ({exc.hub_message})"
            )
            deps.status.send(RunFailed(run_id=run.run_id, reason=reason[:500]))
            return
        job_size = RunConfig.model_validate(run.config).job_size
        jobs = list(_chunk(run.run_id, assets, job_size))
        # Jobs first, plan second: a crash in between re-sends the same job ids, which the
        # handlers skip once done; a plan that exists means every job was sent.
        deps.jobs.send_many(jobs)
        plan = RunPlan(total_assets=len(assets), total_jobs=len(jobs))
        deps.ledger.save_plan(run.run_id, plan)
        logger.info("run %s: planned %d assets in %d jobs", run.run_id, plan.total_assets, plan.total_jobs)
    planned = RunPlanned(run_id=run.run_id, total_assets=plan.total_assets, total_jobs=plan.total_jobs)
    deps.status.send(planned)


def _selected_assets(run: RunRecord, deps: Deps) -> list[AssetRef]:
    """The run's assets; those whose externalId another asset of the project shares are marked to
    be addressed by URL, since an import by externalId would also label the others."""
    client = deps.ango(deps.ledger.decrypt_api_key(run))
    # By id, once: offset paging over a project that changes meanwhile can show an asset twice.
    assets = list({a.asset_id: a for a in client.list_assets(run.project_id, run.batches)}.values())
    # With a batch filter, the sharers may sit outside the selection: count over the whole project
    # (one listing, about 0.01 calls per asset).
    population = client.list_assets(run.project_id, ()) if run.batches and assets else assets
    counts = Counter(asset.external_id for asset in population)
    return [
        asset.model_copy(update={"address_by_url": True}) if counts[asset.external_id] > 1 else asset
        for asset in assets
    ]


def _chunk(run_id: str, assets: Sequence[AssetRef], size: int) -> Iterator[InferJob]:
    seq = 0
    for start in range(0, len(assets), size):
        for part in _fit_budget(assets[start : start + size]):
            yield InferJob(run_id=run_id, job_id=f"{seq:06d}", assets=tuple(part))
            seq += 1


def _fit_budget(assets: Sequence[AssetRef]) -> Iterator[Sequence[AssetRef]]:
    """Split a chunk in halves until each fits the message budget (long signed URLs add up)."""
    body = InferJob(run_id="r" * 64, job_id="0" * 6, assets=tuple(assets)).model_dump_json()
    if len(body.encode()) <= MAX_MESSAGE_BYTES or len(assets) == 1:
        yield assets
        return
    middle = len(assets) // 2
    yield from _fit_budget(assets[:middle])
    yield from _fit_budget(assets[middle:])
