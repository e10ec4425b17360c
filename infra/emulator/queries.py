"""`GET /v2/project/{id}/assets`: paging, the JSON `filters` query parameter, and the asset shape.

Strict choices where Hub is undocumented: `page < 1`, `limit` outside 1..100, non-integers, invalid
JSON, unknown filter keys, wrongly typed filter values, and batch ids the project does not have are
all 400 (the last catches an adapter that filters by batch *name*).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from .errors import ApiError
from .model import Asset, Project

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 10

_FILTER_TYPES: dict[str, type] = {"_id": str, "externalId": str, "isPreLabeled": bool, "batches": list}


def parse_paging(args: Mapping[str, str]) -> tuple[int, int]:
    page = _int_arg(args, "page", 1)
    limit = _int_arg(args, "limit", DEFAULT_LIMIT)
    if page < 1:
        raise ApiError(400, "page must be >= 1")
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT}")
    return page, limit


def json_object_param(raw: str | None, name: str) -> dict[str, Any]:
    """A query parameter holding a JSON object; absent or empty is {}, anything else is a 400."""
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(400, f"{name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"{name} must be a JSON object")
    return value


def parse_filters(raw: str | None, project: Project) -> dict[str, Any]:
    filters = json_object_param(raw, "filters")
    for key, value in filters.items():
        wanted = _FILTER_TYPES.get(key)
        if wanted is None:
            raise ApiError(400, f"unknown filter: {key}")
        if not isinstance(value, wanted):
            raise ApiError(400, f"filter {key} must be a {wanted.__name__}")
    _check_batches(filters.get("batches", []), project)
    return filters


def select(project: Project, filters: dict[str, Any]) -> list[Asset]:
    """Matching assets in a stable (insertion) order; `batches` means in ALL of the listed batches."""
    wanted_batches = set(filters.get("batches", []))
    return [
        a
        for a in project.assets
        if filters.get("_id", a.id) == a.id
        and filters.get("externalId", a.external_id) == a.external_id
        and filters.get("isPreLabeled", a.is_prelabeled) == a.is_prelabeled
        and wanted_batches <= set(a.batches)
    ]


def newest_first(items: list[T]) -> list[T]:
    """Hub's listing order: `sort` defaults to `-createdAt` (DOC-API overview), and the SDK sends no
    `sort`. Items are kept in upload order, so the newest is the last one."""
    return items[::-1]


def page_of(assets: list[T], page: int, limit: int) -> list[T]:
    start = (page - 1) * limit
    return assets[start : start + limit]


def describe_asset(asset: Asset, project_id: str, base_url: str) -> dict[str, Any]:
    return {
        "_id": asset.id,
        "externalId": asset.external_id,
        "data": asset.data_url(base_url, project_id),
        **({"dataset": asset.dataset_urls(base_url, project_id)} if asset.pages else {}),
        "batches": list(asset.batches),
        "isPreLabeled": asset.is_prelabeled,
        "metadata": {"width": asset.width, "height": asset.height},
    }


def _int_arg(args: Mapping[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        return int(raw, 10)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


def _check_batches(batches: list[Any], project: Project) -> None:
    if not all(isinstance(b, str) for b in batches):
        raise ApiError(400, "filter batches must be a list of batch ids")
    unknown = set(batches) - project.batch_ids()
    if unknown:
        raise ApiError(400, f"Invalid batch id(s): {sorted(unknown)}")
