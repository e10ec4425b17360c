"""Tiny in-memory projects for the unit tests, and small JSON seeds for the integration tests."""

from __future__ import annotations

import base64
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


STRICT_PROJECT_ID = "65d4c0de00000000000000c3"
ASSET_BYTES = b"\x89PNG\r\n\x1a\n not really a picture"


def json_asset(index: int, external_id: str, **flags: Any) -> dict[str, Any]:
    """An asset spec that survives JSON (bytes as contentBase64), with seed flags like private=True."""
    spec = asset_spec(index, external_id, [A])
    del spec["content"]
    return {**spec, "contentBase64": base64.b64encode(ASSET_BYTES).decode(), **flags}


def strict_seed(project_type: str = "video") -> dict[str, Any]:
    """A project for the demo user: public, private, private-but-gone and data-less assets."""
    assets = [
        json_asset(0x100, "public.png"),
        json_asset(0x101, "private.png", private=True),
        json_asset(0x102, "private-gone.png", private=True, fileMissing=True),
        json_asset(0x103, "no-data.png", dataMissing=True),
    ]
    del assets[3]["contentBase64"]  # an asset without data needs no bytes
    project = {
        "_id": STRICT_PROJECT_ID,
        "name": "strict",
        "type": project_type,
        "categorySchema": d.CATEGORY_SCHEMA,
        "batches": [{"_id": A, "name": d.BATCH_A_NAME}],
        "assets": assets,
    }
    user = {"userId": d.USER_ID, "apiKey": d.API_KEY, "orgId": d.ORG_ID, "projects": [STRICT_PROJECT_ID]}
    return {"users": [user], "projects": [project]}
