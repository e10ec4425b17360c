"""Tiny in-memory projects for the unit tests (no images decoded, no server)."""

from __future__ import annotations

from typing import Any

from infra import demo_data as d
from infra.emulator.model import Project
from infra.emulator.seed import parse_seed

BASE_URL = "http://hub.test"
A, B = d.BATCH_A_ID, d.BATCH_B_ID


def asset_spec(index: int, external_id: str, batches: list[str]) -> dict[str, Any]:
    return {
        "_id": f"{index:024x}",
        "externalId": external_id,
        "batches": batches,
        "contentType": "image/png",
        "content": b"png",
        "width": 100,
        "height": 80,
    }


def small_project() -> Project:
    """a1, a2 in A; b1 in B; ab in A and B; none; and `dup` twice (A and no batch)."""
    layout = [("a1", [A]), ("a2", [A]), ("b1", [B]), ("ab", [A, B]), ("none", []), ("dup", [A]), ("dup", [])]
    spec = {
        "_id": d.PROJECT_ID,
        "name": "unit",
        "categorySchema": d.CATEGORY_SCHEMA,
        "batches": [{"_id": A, "name": d.BATCH_A_NAME}, {"_id": B, "name": d.BATCH_B_NAME}],
        "assets": [asset_spec(i, ext, batches) for i, (ext, batches) in enumerate(layout)],
    }
    return parse_seed({"projects": [spec]}).projects[0]


def face(external_id: str, **box: Any) -> dict[str, Any]:
    geometry = {"x": 1, "y": 2, "width": 10, "height": 10, **box}
    return {"externalId": external_id, "objects": [{"schemaId": d.FACE_SCHEMA_ID, "bounding-box": geometry}]}
