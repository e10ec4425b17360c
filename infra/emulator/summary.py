"""Per-project label counts for tests and benchmarks: above all, objects imported twice."""

from __future__ import annotations

from typing import Any

from .model import Asset, Project


def duplicate_objects(asset: Asset) -> int:
    """Objects whose objectId already occurred earlier on the same asset (a retried append does this)."""
    seen: set[Any] = set()
    duplicates = 0
    for tool in asset.answer["tools"]:
        object_id = tool.get("objectId")
        duplicates += object_id in seen
        seen.add(object_id)
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
