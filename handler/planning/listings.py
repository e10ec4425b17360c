"""The two listings a run can be planned from, each read a page at a time as `ListedAsset`s.

The tasks listing is the one planning reads: filtered by the run's batches (`$in`, so "in any of
them", as a user selecting two batches means), each task carries its asset's id, externalId and
data URL beside its status and pre-label mark (the docs' "Get Tasks of Project" sample), so one
call covers 100 assets. Its assets are addressed by data URL in the import: that names exactly the
asset's own file, where an externalId may be shared by other assets anywhere in the project, and
finding out which would cost a second call per page.

The assets listing is the fallback, for a Hub whose tasks do not carry their asset's data URL (the
asset as a bare id): it takes a page of assets and a lookup of their tasks by externalId (two calls
per 100 assets), one batch at a time (its `batches` filter means "in all of them"), and that lookup
spans the whole project, so an externalId other assets share is known and addressed by URL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from handler.contract.ango import AngoClient
from handler.contract.hub_shapes import HubShapeError, ListedTask, id_of, pages_of, read_task, text_of

TASKS, ASSETS = "tasks", "assets"


@dataclass(frozen=True)
class ListedAsset:
    asset_id: str
    external_id: str
    data: str | None
    status: str | None  # None: no task of it was found
    prelabeled: bool
    batches: frozenset[str]
    address_by_url: bool
    pages: tuple[str, ...] = ()  # a multi-image asset's page URLs


@dataclass(frozen=True)
class ListedPage:
    assets: list[ListedAsset]
    total: int | None  # None: not given on a full page (read on until a short one)
    carries_data: bool = True  # False: the tasks do not carry their asset's data URL


class Listing(Protocol):
    def read(self, page: int) -> ListedPage: ...


class TaskListing:
    def __init__(self, client: AngoClient, project_id: str, batches: Sequence[str]) -> None:
        self._client, self._project_id, self._batches = client, project_id, tuple(batches)

    def read(self, page: int) -> ListedPage:
        answer = self._client.task_page(self._project_id, page, self._batches)
        tasks = [read_task(task) for task in answer.tasks]
        return ListedPage(
            assets=[_from_task(task) for task in tasks],
            total=answer.total,
            carries_data=all(task.carries_data for task in tasks),
        )


class AssetListing:
    def __init__(self, client: AngoClient, project_id: str, batch: str | None) -> None:
        self._client, self._project_id, self._batch = client, project_id, batch

    def read(self, page: int) -> ListedPage:
        answer = self._client.asset_page(self._project_id, page, self._batch)
        external_ids = [text_of(a.get("externalId")) for a in answer.assets if isinstance(a, dict)]
        states = self._client.task_states(self._project_id, [e for e in external_ids if e])
        by_asset = {state.asset_id: state for state in states}
        # Counted over the whole project: the lookup is by externalId, not by batch.
        per_external_id = Counter(state.external_id for state in states)
        assets = []
        for asset in answer.assets:
            if not isinstance(asset, dict):
                raise HubShapeError(f"an asset that is not an object: {asset!r:.80}")
            asset_id, external_id = id_of(asset), text_of(asset.get("externalId"))
            task = by_asset.get(asset_id)
            listed = asset.get("batches")
            batches = listed if isinstance(listed, list) else task.batches if task else ()
            data = asset.get("data")
            assets.append(
                ListedAsset(
                    asset_id=asset_id,
                    external_id=external_id,
                    data=data if isinstance(data, str) and data else None,
                    status=task.status if task else None,
                    prelabeled=bool(task and task.prelabeled),
                    batches=frozenset(id_of(b) for b in batches),
                    address_by_url=per_external_id[external_id] > 1,
                    pages=pages_of(asset.get("dataset")),
                )
            )
        _check_lookup(assets, states)
        return ListedPage(assets=assets, total=answer.total)


def _from_task(task: ListedTask) -> ListedAsset:
    return ListedAsset(
        asset_id=task.asset_id,
        external_id=task.external_id,
        data=task.data,
        status=task.status,
        prelabeled=task.prelabeled,
        batches=frozenset(task.batches),
        address_by_url=True,
        pages=task.pages,
    )


def _check_lookup(assets: list[ListedAsset], states: Sequence[Any]) -> None:
    """Tasks came back but none matched a listed asset: the two answers name assets differently,
    and every asset would be skipped as "status unknown". That is a shape we cannot read."""
    if assets and states and all(asset.status is None for asset in assets):
        raise HubShapeError(
            f"the tasks lookup answered {len(states)} tasks, none for a listed asset "
            f"(listed ids like {assets[0].asset_id!r:.40}, task asset ids like {states[0].asset_id!r:.40})"
        )
