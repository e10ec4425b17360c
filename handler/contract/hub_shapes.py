"""Reading Hub's JSON in every form it plausibly takes.

Where no SDK line or doc page fixes a field's shape, the reader takes each plausible form: an id as
a string, a number or an object with `_id` (the docs' "Get Task" shows `project` as `{"_id"}` where
the tasks listing shows a string), a task's `asset` as an object or a bare id, a status in any case
("TODO" in the tasks listing, "Completed" in "Get Task"), a listing's `total` missing on the last
page, and unknown extra fields anywhere. What cannot be read in any of those forms raises
`HubShapeError` with what was seen, so that a shape we did not expect fails a run loudly, once,
instead of quietly turning every asset into "status unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MAX_SEEN = 160  # how much of an unreadable value goes into a message


class HubShapeError(Exception):
    """Hub answered in a shape this plugin cannot read; the message says what it saw."""


def text_of(value: Any) -> str:
    """A string field that may come as a number (an id, an externalId): "" for anything else."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int):
        return str(value)
    return ""


def id_of(value: Any) -> str:
    """An id given as a string, a number or an object with `_id` (or `id`); "" when none."""
    if isinstance(value, dict):
        return text_of(value.get("_id", value.get("id")))
    return text_of(value)


def status_of(value: Any) -> str:
    """A task status in one spelling: "TODO" for "TODO", "Todo", "To Do", "to_do"; others upper-cased
    the same way ("Completed" -> "COMPLETED"). "" when there is none."""
    text = text_of(value).strip()
    return re.sub(r"[\s_-]+", "_", text).upper().replace("TO_DO", "TODO")


def total_of(data: dict[str, Any], first: int, count: int, page_limit: int) -> int | None:
    """A listing's `total`. Missing on a short page, it is where that page ends; missing on a full
    page it is unknown (None), and the caller reads on until a page comes back short."""
    total = data.get("total")
    if isinstance(total, int | float | str) and not isinstance(total, bool):
        try:
            return int(total)
        except ValueError:
            pass
    return first + count if count < page_limit else None


def seen(value: Any) -> str:
    """A short picture of an unreadable value for an error message: an object's keys, or the value."""
    if isinstance(value, dict):
        text = "an object with keys " + ", ".join(sorted(str(k) for k in value)[:12])
    else:
        text = f"{type(value).__name__} {value!r}"
    return text if len(text) <= _MAX_SEEN else text[: _MAX_SEEN - 1] + "…"


def pages_of(value: Any) -> tuple[str, ...]:
    """A multi-image asset's page URLs, in order: `dataset` as Hub's export shows it (a list of URLs),
    or a list of objects holding each URL under `data` or `url` (a guess: the listings' form of
    `dataset` is not documented). () for anything else: the asset is then read from `data` alone."""
    if not isinstance(value, list):
        return ()
    urls = [item.get("data", item.get("url")) if isinstance(item, dict) else item for item in value]
    pages = tuple(url for url in urls if isinstance(url, str) and url)
    return pages if pages and len(pages) == len(urls) else ()


@dataclass(frozen=True)
class ListedTask:
    """One task of the tasks listing, as planning needs it."""

    asset_id: str
    external_id: str
    data: str | None  # the asset's URL; None when Hub gave none
    carries_data: bool  # the task's asset is an object holding a `data` key (null or not)
    status: str
    prelabeled: bool
    batches: tuple[str, ...]
    pages: tuple[str, ...] = ()  # a multi-image asset's page URLs (its `dataset`)


def read_task(task: Any) -> ListedTask:
    """A task in any plausible form; HubShapeError when it has no asset id or no status."""
    if not isinstance(task, dict):
        raise HubShapeError(f"a task that is not an object: {seen(task)}")
    asset = task.get("asset")
    asset_id = id_of(asset) or text_of(task.get("assetId"))
    status = status_of(task.get("status"))
    if not asset_id or not status:
        missing = "an asset id" if not asset_id else "a status"
        raise HubShapeError(f"a task without {missing}: {seen(task)}; its asset: {seen(asset)}")
    details = asset if isinstance(asset, dict) else {}
    data = details.get("data")
    return ListedTask(
        asset_id=asset_id,
        external_id=text_of(details.get("externalId")) or text_of(task.get("externalId")),
        data=data if isinstance(data, str) and data else None,
        carries_data="data" in details,
        status=status,
        prelabeled=task.get("isPreLabeled") is True,
        batches=tuple(id_of(b) for b in task.get("batches") or () if id_of(b)),
        pages=pages_of(details.get("dataset")),
    )


def listed_items(response: Any, key: str) -> tuple[dict[str, Any], list[Any]]:
    """A listing answer's `data` and its `data[key]` list; HubShapeError when either is missing."""
    data = response.get("data") if isinstance(response, dict) else None
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(items, list):
        raise HubShapeError(f"a listing answer without data.{key}: {seen(response)}")
    return data, items
