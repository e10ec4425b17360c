"""Asset listing: paging bounds, filter parsing and AND semantics (no server)."""

from __future__ import annotations

import json

import pytest

from infra.emulator.errors import ApiError
from infra.emulator.queries import describe_asset, page_of, parse_filters, parse_paging, select

from .factories import BASE_URL, A, B, small_project

pytestmark = pytest.mark.unit


def _ids(filters: dict[str, object]) -> list[str]:
    project = small_project()
    return [a.external_id for a in select(project, parse_filters(json.dumps(filters), project))]


def test_batches_filter_is_and() -> None:
    assert _ids({"batches": [A]}) == ["a1", "a2", "ab", "dup"]
    assert _ids({"batches": [A, B]}) == ["ab"]
    assert _ids({"batches": []}) == ["a1", "a2", "b1", "ab", "none", "dup", "dup"]


def test_other_filters() -> None:
    assert _ids({"externalId": "dup"}) == ["dup", "dup"]
    assert _ids({"_id": f"{2:024x}"}) == ["b1"]
    assert _ids({"isPreLabeled": True}) == []
    assert _ids({"externalId": "dup", "batches": [A]}) == ["dup"]


@pytest.mark.parametrize(
    "raw", ["{", "[1]", '{"x": 1}', '{"batches": "a"}', '{"batches": ["Batch A"]}', '{"isPreLabeled": 1}']
)
def test_bad_filters_are_400(raw: str) -> None:
    with pytest.raises(ApiError) as err:
        parse_filters(raw, small_project())
    assert err.value.status == 400


def test_paging_defaults_and_bounds() -> None:
    assert parse_paging({}) == (1, 10)
    assert parse_paging({"page": "3", "limit": "100"}) == (3, 100)
    for bad in ({"limit": "101"}, {"limit": "0"}, {"page": "0"}, {"page": "1.5"}, {"limit": "ten"}):
        with pytest.raises(ApiError):
            parse_paging(bad)
    assert page_of(list(range(7)), 3, 3) == [6]
    assert page_of(list(range(7)), 4, 3) == []


def test_asset_shape() -> None:
    project = small_project()
    shown = describe_asset(project.assets[0], project.id, BASE_URL)
    assert shown["data"] == f"{BASE_URL}/files/{project.id}/{project.assets[0].id}.png"
    assert shown["metadata"] == {"width": 100, "height": 80}
