"""Plain records for the emulator's state: plugins, users, projects and their assets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TODO = "TODO"
TASK_STATUSES = frozenset({"TODO", "IN_PROGRESS", "COMPLETED", "REVIEWED", "SKIPPED"})


def empty_answer() -> dict[str, list[dict[str, Any]]]:
    """Hub stores a task's answer under `tools`, not `objects` (protocol §7.5)."""
    return {"tools": [], "classifications": [], "relations": []}


@dataclass
class Plugin:
    id: str
    secret: str
    default_config: str = "{}"


@dataclass
class User:
    user_id: str
    api_key: str
    org_id: str
    projects: set[str] = field(default_factory=set)


@dataclass
class Asset:
    id: str
    external_id: str
    filename: str
    content_type: str
    content: bytes
    width: int
    height: int
    batches: list[str] = field(default_factory=list)
    status: str = TODO
    is_prelabeled: bool = False
    answer: dict[str, list[dict[str, Any]]] = field(default_factory=empty_answer)
    import_count: int = 0

    def reset_labels(self) -> None:
        self.answer = empty_answer()
        self.is_prelabeled = False
        self.import_count = 0


@dataclass
class Project:
    id: str
    name: str
    category_schema: dict[str, Any]
    batches: list[dict[str, str]]
    stages: list[dict[str, Any]]
    assets: list[Asset] = field(default_factory=list)

    def batch_ids(self) -> set[str]:
        return {b["_id"] for b in self.batches}

    def asset_by_filename(self, filename: str) -> Asset | None:
        return next((a for a in self.assets if a.filename == filename), None)

    def describe(self) -> dict[str, Any]:
        """The `data.project` body of `GET /v2/project/{id}`."""
        return {
            "_id": self.id,
            "name": self.name,
            "categorySchema": self.category_schema,
            "batches": [dict(b) for b in self.batches],
            "stages": [dict(s) for s in self.stages],
        }


def asset_url(base_url: str, project_id: str, filename: str) -> str:
    """Where an asset's bytes are served: a public-bucket-style URL on the emulator itself."""
    return f"{base_url}/files/{project_id}/{filename}"
