"""A thin Ango Hub REST client for what a Batch Model run needs, on top of imerit-ango's SDK
(requests and their errors: handler/contract/hub_http.py), with bounded retries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

import requests
from imerit_ango.models.task_filter import StringFilter, TaskFilter

from handler.contract.chunks import chunked
from handler.contract.hub_budget import shared_budget
from handler.contract.hub_http import AngoError, SdkWithPolicy, pooled_session
from handler.contract.hub_pacing import HubPacer, PacerBook
from handler.contract.hub_shapes import HubShapeError, listed_items, read_task, seen, text_of, total_of
from handler.contract.messages import AssetRef
from handler.contract.retry import RetryPolicy, call_with_retries
from handler.contract.settings import Settings

logger = logging.getLogger(__name__)
PAGE_LIMIT = 100  # Hub's maximum page size for list endpoints, and for a filter's `$in` list


@dataclass(frozen=True)
class AssetPage:
    assets: list[dict[str, Any]]  # as Hub lists them: `_id`, `externalId`, `data`, `batches`, ...
    total: int | None  # None: Hub left it out of a full page (read on until a short one)


@dataclass(frozen=True)
class TaskPage:
    tasks: list[dict[str, Any]]  # as Hub lists them: `_id`, `asset` {`_id`, `externalId`, `data`}, ...
    total: int | None


@dataclass(frozen=True)
class TaskState:
    """What the tasks listing says of one asset's task."""

    asset_id: str
    external_id: str
    status: str
    prelabeled: bool
    batches: tuple[str, ...]


class AngoClient:
    def __init__(
        self,
        host: str,
        api_key: str,
        timeout: float = Settings.default("ango_timeout_seconds"),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        pacer: HubPacer | None = None,
    ) -> None:
        sdk = SdkWithPolicy(api_key, host.rstrip("/"), timeout, session or pooled_session(), pacer)
        self._sdk = sdk
        self._retry = retry or RetryPolicy()

    def get_project(self, project_id: str) -> dict[str, Any]:
        response = self._call(lambda: self._sdk.get_project(project_id), "get project")
        data = response.get("data") if isinstance(response, dict) else None
        project = data.get("project") if isinstance(data, dict) else None
        if not isinstance(project, dict):
            raise HubShapeError(f"a project answer without data.project: {seen(response)}")
        return dict(project)

    def asset_page(self, project_id: str, page: int, batch: str | None) -> AssetPage:
        """One page of the project's assets (of one batch, if given); Hub's `batches` filter means
        "in all of these", so a run over several batches lists them one at a time."""
        filters: dict[str, Any] = {"batches": [batch]} if batch else {}
        response = self._call(
            partial(self._sdk.get_assets, project_id, page=page, limit=PAGE_LIMIT, filters=filters),
            f"list assets page {page}",
        )
        data, assets = listed_items(response, "assets")
        return AssetPage(
            assets=assets, total=total_of(data, (page - 1) * PAGE_LIMIT, len(assets), PAGE_LIMIT)
        )

    def task_page(self, project_id: str, page: int, batches: Sequence[str]) -> TaskPage:
        """One page of the project's tasks (of any of `batches`, if given), newest first: each
        carries its asset's id, externalId and data URL beside its status and pre-label mark."""
        task_filter = TaskFilter(batches=list(batches)) if batches else TaskFilter()
        return self._tasks_page(project_id, page, task_filter, include_answer=False)

    def task_states(self, project_id: str, external_ids: Sequence[str]) -> list[TaskState]:
        """The tasks of every asset in the project that has one of `external_ids`: their status
        and pre-label mark, and, by their count per externalId, which ids other assets share."""
        states = []
        for some in chunked(sorted(set(external_ids)), PAGE_LIMIT):
            task_filter = TaskFilter(external_id=StringFilter(in_list=some))
            for task in self._tasks(project_id, task_filter, include_answer=False):
                listed = read_task(task)
                states.append(
                    TaskState(
                        asset_id=listed.asset_id,
                        external_id=listed.external_id,
                        status=listed.status,
                        prelabeled=listed.prelabeled,
                        batches=listed.batches,
                    )
                )
        return states

    def signed_url(self, project_id: str, url: str) -> str:
        """A short-lived readable URL for an asset in private storage (the SDK's `_get_signed_url`,
        with the name encoded: an asset URL may hold `&`). The answer is a credential."""
        query = urlencode({"name": url, "project": project_id, "type": "assets"})
        response = self._call(lambda: self._sdk.make_request("GET", f"/v2/getSignedUrl?{query}"), "sign URL")
        signed = (response.get("data") or {}).get("signedUrl")
        if not isinstance(signed, str) or not signed:
            raise AngoError(200, "no signedUrl in the answer")
        return signed

    def import_prelabels_once(self, project_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        """One import attempt, not retried here: after a failure that may have applied, the caller
        must look at what landed before trying again (see handler/importer.py)."""
        return dict(self._sdk.import_labels(project_id, items))

    def stored_object_ids(self, project_id: str, assets: Sequence[AssetRef]) -> dict[str, set[str]]:
        """The objectIds Hub holds now on each of `assets` (by asset id), read from their tasks."""
        wanted = {asset.asset_id for asset in assets}
        found: dict[str, set[str]] = {asset_id: set() for asset_id in wanted}
        external_ids = sorted({asset.external_id for asset in assets})
        for some in chunked(external_ids, PAGE_LIMIT):
            task_filter = TaskFilter(external_id=StringFilter(in_list=some))
            for task in self._tasks(project_id, task_filter, include_answer=True):
                asset_id = read_task(task).asset_id
                if asset_id in wanted:
                    tools = (task.get("answer") or {}).get("tools") or []
                    found[asset_id].update(text_of(tool.get("objectId")) for tool in tools)
        return found

    def _tasks(
        self, project_id: str, task_filter: TaskFilter, include_answer: bool
    ) -> Iterator[dict[str, Any]]:
        page, seen = 1, 0
        while True:
            answer = self._tasks_page(project_id, page, task_filter, include_answer)
            yield from answer.tasks
            seen += len(answer.tasks)
            if not answer.tasks or (answer.total is not None and seen >= answer.total):
                return
            page += 1

    def _tasks_page(
        self, project_id: str, page: int, task_filter: TaskFilter, include_answer: bool
    ) -> TaskPage:
        response = self._call(
            partial(
                self._sdk.get_tasks,
                project_id,
                page=page,
                limit=PAGE_LIMIT,
                include_answer=include_answer,
                task_filter=task_filter,
            ),
            f"list tasks page {page}",
        )
        data, tasks = listed_items(response, "tasks")
        return TaskPage(tasks=tasks, total=total_of(data, (page - 1) * PAGE_LIMIT, len(tasks), PAGE_LIMIT))

    def _call(self, fn: Any, what: str) -> Any:
        return call_with_retries(fn, what, self._retry)


def client_factory(settings: Settings, pool_size: int = 16) -> Callable[[str], AngoClient]:
    """API key -> client. Clients of one key share one pacer in this process, whatever job or
    thread made them, so the process as a whole keeps to the key's budget; with a budget table,
    the pacers of every process draw from one budget per key."""
    http = pooled_session(pool_size)
    budget = shared_budget(settings)
    pacers = PacerBook(settings.ango_requests_per_minute, budget.for_digest if budget else None)
    retry = RetryPolicy(throttle_patience=settings.ango_throttle_patience_seconds)

    def make(api_key: str) -> AngoClient:
        pacer = pacers.for_key(settings.ango_host, api_key)
        return AngoClient(
            settings.ango_host, api_key, settings.ango_timeout_seconds, retry=retry, session=http, pacer=pacer
        )

    return make
