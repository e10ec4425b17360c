"""A thin Ango Hub REST client for what a Batch Model run needs, on top of imerit-ango's SDK.

The SDK builds the requests (endpoints, query strings, bodies, the `apikey` header); this module
adds what it lacks for unattended work: timeouts, a pooled session, and errors sorted once into
transient (retried here) and permanent (raised to the caller with Hub's own message).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

import requests
from imerit_ango.models.task_filter import StringFilter, TaskFilter
from imerit_ango.sdk import SDK
from requests.adapters import HTTPAdapter

from handler import telemetry
from handler.hub_pacing import HubPacer
from handler.job import AssetRef
from handler.retry import RetryPolicy, TransientError, call_with_retries

logger = logging.getLogger(__name__)
PAGE_LIMIT = 100  # Hub's maximum page size for list endpoints, and for a filter's `$in` list


class AngoError(Exception):
    """Hub refused the request for good (4xx): retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Ango Hub answered {status}: {message}")
        self.status = status
        self.hub_message = message


class _SdkWithPolicy(SDK):  # type: ignore[misc]
    """imerit-ango's SDK with a timeout and classified errors instead of bare Exception(text)."""

    def __init__(
        self, api_key: str, host: str, timeout: float, session: requests.Session, pacer: HubPacer | None
    ) -> None:
        super().__init__(api_key=api_key, host=host)
        self.session = session
        self._timeout = timeout
        self._pacer = pacer

    def make_request(self, method: str, endpoint: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", "apikey": self.api_key}
        if self._pacer is not None:
            self._pacer.acquire()
        try:
            response = self.session.request(
                method, self.host + endpoint, headers=headers, json=payload, timeout=self._timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{method} {endpoint.split('?')[0]}: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            # Anything else is our request's fault (e.g. InvalidHeader, whose text quotes the key).
            raise AngoError(0, f"request not sent ({type(exc).__name__})") from None
        telemetry.hub_call(response.status_code)  # metrics HubCalls, and HubThrottled on a 429
        if response.status_code == 429:
            if self._pacer is not None:
                self._pacer.throttled(_retry_after(response))
            raise TransientError("HTTP 429", _retry_after(response), maybe_applied=False, throttled=True)
        if self._pacer is not None:
            self._pacer.succeeded()
        if response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise AngoError(response.status_code, _hub_message(response))
        return response.json()


def pooled_session(pool_size: int = 16) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class AssetPage:
    assets: list[dict[str, Any]]  # as Hub lists them: `_id`, `externalId`, `data`, `batches`, ...
    total: int


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
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        pacer: HubPacer | None = None,
    ) -> None:
        sdk = _SdkWithPolicy(api_key, host.rstrip("/"), timeout, session or pooled_session(), pacer)
        self._sdk = sdk
        self._retry = retry or RetryPolicy()

    def get_project(self, project_id: str) -> dict[str, Any]:
        response = self._call(lambda: self._sdk.get_project(project_id), "get project")
        return dict(response["data"]["project"])

    def asset_page(self, project_id: str, page: int, batch: str | None) -> AssetPage:
        """One page of the project's assets (of one batch, if given); Hub's `batches` filter means
        "in all of these", so a run over several batches lists them one at a time."""
        filters: dict[str, Any] = {"batches": [batch]} if batch else {}
        response = self._call(
            partial(self._sdk.get_assets, project_id, page=page, limit=PAGE_LIMIT, filters=filters),
            f"list assets page {page}",
        )
        return AssetPage(assets=list(response["data"]["assets"]), total=int(response["data"]["total"]))

    def task_states(self, project_id: str, external_ids: Sequence[str]) -> list[TaskState]:
        """The tasks of every asset in the project that has one of `external_ids`: their status
        and pre-label mark, and, by their count per externalId, which ids other assets share."""
        states, unique = [], sorted(set(external_ids))
        for start in range(0, len(unique), PAGE_LIMIT):
            some = unique[start : start + PAGE_LIMIT]
            task_filter = TaskFilter(external_id=StringFilter(in_list=some))
            for task in self._tasks(project_id, task_filter, include_answer=False):
                states.append(
                    TaskState(
                        asset_id=_asset_id_of(task),
                        external_id=str(task.get("externalId", "")),
                        status=str(task.get("status", "")),
                        prelabeled=bool(task.get("isPreLabeled")),
                        batches=tuple(str(b) for b in task.get("batches") or ()),
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
        for start in range(0, len(external_ids), PAGE_LIMIT):
            some = external_ids[start : start + PAGE_LIMIT]
            task_filter = TaskFilter(external_id=StringFilter(in_list=some))
            for task in self._tasks(project_id, task_filter, include_answer=True):
                asset_id = _asset_id_of(task)
                if asset_id in wanted:
                    tools = (task.get("answer") or {}).get("tools") or []
                    found[asset_id].update(str(tool.get("objectId")) for tool in tools)
        return found

    def _tasks(
        self, project_id: str, task_filter: TaskFilter, include_answer: bool
    ) -> Iterator[dict[str, Any]]:
        page, seen = 1, 0
        while True:
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
            tasks = response["data"]["tasks"]
            yield from tasks
            seen += len(tasks)
            if not tasks or seen >= int(response["data"]["total"]):
                return
            page += 1

    def _call(self, fn: Any, what: str) -> Any:
        return call_with_retries(fn, what, self._retry)


def _asset_id_of(task: dict[str, Any]) -> str:
    # The emulator gives the id; Hub's documented task samples show `asset._id`: take either.
    asset = task.get("asset")
    return str(asset.get("_id", "")) if isinstance(asset, dict) else str(asset or "")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _hub_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200] or response.reason
    except ValueError:
        return response.reason or "no message"
