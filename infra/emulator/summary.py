"""Per-project label counts for tests and benchmarks: above all, objects imported twice."""

from __future__ import annotations

from typing import Any

from .model import Asset, Project


def duplicate_objects(asset: Asset) -> int:
    """Objects whose objectId already occurred earlier on the same asset and frame (a retried append
    does this; one object tracked across a video's frames is one id on several pages, by design)."""
    seen: set[Any] = set()
    duplicates = 0
    for tool in asset.answer["tools"]:
        key = (tool.get("page"), tool.get("objectId"))
        duplicates += key in seen
        seen.add(key)
    return duplicates


def summarize(project: Project) -> dict[str, Any]:
    """The body of `GET /_emulator/projects/<id>/summary`; keys match `control.ProjectSummary`."""
    return {
        "project_id": project.id,
        "assets": len(project.assets),
        "prelabeled_assets": sum(a.is_prelabeled for a in project.assets),
        "objects": sum(len(a.answer["tools"]) for a in project.assets),
        "duplicate_objects": sum(duplicate_objects(a) for a in project.assets),
        "imports": project.imports,
        "first_import_at": project.first_import_at,
        "last_import_at": project.last_import_at,
    }
