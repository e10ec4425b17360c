"""Project summaries: pre-labeled assets, objects, duplicate objectIds, import times (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.emulator.imports import apply_import, plan_import
from infra.emulator.model import Project
from infra.emulator.summary import summarize

from .factories import BASE_URL, face, small_project

pytestmark = pytest.mark.unit


def _with_id(external_id: str, object_id: str) -> dict[str, Any]:
    item = face(external_id)
    item["objects"][0]["objectId"] = object_id
    return item


def _apply(project: Project, items: list[dict[str, Any]], mode: str = "append", at: float = 0.0) -> None:
    apply_import(plan_import(project, items, BASE_URL, 100), mode)
    project.note_import(at)


def test_an_untouched_project() -> None:
    assert summarize(small_project()) == {
        "project_id": small_project().id,
        "assets": 7,
        "prelabeled_assets": 0,
        "objects": 0,
        "duplicate_objects": 0,
        "imports": 0,
        "first_import_at": None,
        "last_import_at": None,
    }


def test_a_retried_append_shows_up_as_duplicates() -> None:
    project = small_project()
    batch = [_with_id("a1", "x"), _with_id("dup", "y")]  # `dup` names two assets
    _apply(project, batch, at=10.0)
    assert summarize(project)["duplicate_objects"] == 0
    _apply(project, batch, at=12.5)  # the blind retry
    summary = summarize(project)
    assert (summary["prelabeled_assets"], summary["objects"], summary["duplicate_objects"]) == (3, 6, 3)
    assert (summary["imports"], summary["first_import_at"], summary["last_import_at"]) == (2, 10.0, 12.5)


def test_same_id_on_another_asset_and_generated_ids_are_not_duplicates() -> None:
    project = small_project()
    _apply(project, [_with_id("a1", "x"), _with_id("a2", "x"), face("b1"), face("b1")])
    assert summarize(project)["duplicate_objects"] == 0


def test_replace_mode_retry_leaves_no_duplicates() -> None:
    project = small_project()
    _apply(project, [_with_id("a1", "x")], mode="replace")
    _apply(project, [_with_id("a1", "x")], mode="replace")
    summary = summarize(project)
    assert (summary["objects"], summary["duplicate_objects"], summary["imports"]) == (1, 0, 2)
