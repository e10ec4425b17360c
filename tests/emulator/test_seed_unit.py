"""Seed options that model Hub's less convenient corners: project type, private and data-less assets."""

from __future__ import annotations

from typing import Any

import pytest

from infra.emulator.errors import ApiError
from infra.emulator.imports import apply_import, plan_import
from infra.emulator.queries import describe_asset
from infra.emulator.seed import parse_seed

from .factories import BASE_URL, STRICT_PROJECT_ID, face, json_asset, small_project, strict_seed

pytestmark = pytest.mark.unit


def test_project_type_is_opaque_defaults_to_ango_and_may_be_left_out() -> None:
    """The SDK's ProjectType is ango, pct or iframe; the emulator passes any string on, or none."""
    assert small_project().describe()["type"] == "ango"
    for kind in ("pct", "iframe", "image", "something-new"):
        assert parse_seed(strict_seed(kind)).projects[0].describe()["type"] == kind
    assert "type" not in parse_seed(strict_seed(None)).projects[0].describe()  # type: ignore[arg-type]
    for bad in ("", 3):
        with pytest.raises(ValueError):
            parse_seed(strict_seed(bad))  # type: ignore[arg-type]


def test_listing_shows_plain_urls_and_null_data() -> None:
    project = parse_seed(strict_seed()).projects[0]
    listed = [describe_asset(a, project.id, BASE_URL) for a in project.assets]
    assert [a["data"] for a in listed] == [
        f"{BASE_URL}/files/{STRICT_PROJECT_ID}/{a.filename}" for a in project.assets[:3]
    ] + [None]
    assert all("private" not in a for a in listed)  # Hub does not say; the URL answers 403
    assert [(a.private, a.file_present, a.data_missing) for a in project.assets] == [
        (False, True, False),
        (True, True, False),
        (True, False, False),
        (False, False, True),
    ]


@pytest.mark.parametrize("flags", [{"private": "yes"}, {"dataMissing": 1}, {"private": None}])
def test_new_flags_must_be_booleans(flags: dict[str, Any]) -> None:
    spec = strict_seed()
    spec["projects"][0]["assets"].append(json_asset(0x200, "x.png", **flags))
    with pytest.raises(ValueError):
        parse_seed(spec)


def test_a_data_less_asset_takes_labels_by_external_id_but_has_no_url() -> None:
    project = parse_seed(strict_seed()).projects[0]
    no_data = project.assets[3]
    item = {"data": f"{BASE_URL}/files/{STRICT_PROJECT_ID}/{no_data.filename}", **face("x")}
    del item["externalId"]
    with pytest.raises(ApiError):
        plan_import(project, [item], BASE_URL, 10)
    assert apply_import(plan_import(project, [face("no-data.png")], BASE_URL, 10), "append")["imported"] == 1
    assert no_data.is_prelabeled
