"""Seed specs: the JSON-able description of plugins, users and projects the emulator starts from.

Shape (every key required unless marked optional):
    {"plugins":  [{"id", "secret", "defaultConfig"?}],
     "users":    [{"userId", "apiKey", "orgId", "projects": [projectId, ...]}],
     "projects": [{"_id", "name", "categorySchema", "batches": [{"_id", "name"}], "stages"?,
                   "type"? (an opaque string, or null to leave it out; default "ango"),
                   "assets": [{"_id", "externalId", "batches", "contentType", "width", "height",
                               "content" (bytes) | "contentBase64" (str) (optional with dataMissing),
                               "status"?,
                               "fileMissing"? (listed, but its URL answers 404),
                               "private"? (its plain URL answers 403; sign it with /v2/getSignedUrl),
                               "dataMissing"? (listed with "data": null, and no file),
                               "pagesBase64"? (a multi-image asset: its pictures, in order; the
                                               first is its content)}]}]}
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import TASK_STATUSES, TODO, Asset, Plugin, Project, User


@dataclass
class Seed:
    plugins: list[Plugin] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)


def load_named_seed(name: str) -> dict[str, Any]:
    """`demo`, `bench:<n>`, `bench-ocr:<n>`, `bench-video:<n>[:<seconds>]`, `bench-fair:<n>:<m>`,
    `empty`, or the path of a JSON spec file."""
    if name == "empty":
        return {}
    if name.startswith("bench-fair:"):  # a big and a small benchmark project, of two users
        from infra import demo_data  # as below

        _, big, small = name.split(":")
        return demo_data.fair_turns_bench_seed(int(big), int(small))
    if name.startswith("bench-video:"):  # n copies of one long generated video (the default 300 s)
        from infra import demo_data  # as below: the video is only written when asked for

        _, n_assets, *seconds = name.split(":")
        return demo_data.video_bench_seed(int(n_assets), *map(float, seconds))
    if name.startswith("bench-ocr:"):  # the benchmark project of pictures of text, for the OCR model
        from infra import demo_data  # as below: the pictures are only rendered when asked for

        return demo_data.documents_bench_seed(int(name.split(":")[1]))
    if name == "demo" or name.startswith("bench:"):
        from infra import demo_data  # the demo images are only built when asked for

        return demo_data.demo_seed() if name == "demo" else demo_data.bench_seed(int(name.split(":")[1]))
    return dict(json.loads(Path(name).read_text()))


def parse_seed(spec: dict[str, Any]) -> Seed:
    """Raises ValueError (with the offending part) on a malformed spec."""
    try:
        return Seed(
            plugins=[
                Plugin(p["id"], p["secret"], p.get("defaultConfig", "{}")) for p in spec.get("plugins", [])
            ],
            users=[_user(u) for u in spec.get("users", [])],
            projects=[_project(p) for p in spec.get("projects", [])],
        )
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"malformed seed spec: {exc!r}") from exc


def _user(spec: dict[str, Any]) -> User:
    return User(spec["userId"], spec["apiKey"], spec["orgId"], set(spec.get("projects", [])))


def _project(spec: dict[str, Any]) -> Project:
    project = Project(
        id=spec["_id"],
        name=spec["name"],
        category_schema=dict(spec["categorySchema"]),
        batches=[{"_id": b["_id"], "name": b["name"]} for b in spec.get("batches", [])],
        stages=list(spec.get("stages", [])),
        type=spec.get("type", "ango"),
    )
    if project.type is not None and (not isinstance(project.type, str) or not project.type):
        raise ValueError(f"project {project.id}: type must be a non-empty string or null")
    project.assets = [_asset(a) for a in spec.get("assets", [])]
    known = project.batch_ids()
    for asset in project.assets:
        if not set(asset.batches) <= known:
            raise ValueError(f"asset {asset.id} is in a batch the project lacks")
    return project


def _content(spec: dict[str, Any]) -> bytes:
    if "content" in spec:
        return bytes(spec["content"])
    if "contentBase64" not in spec and spec.get("dataMissing", False):
        return b""  # an asset with no data needs no bytes
    return base64.b64decode(spec["contentBase64"], validate=True)


def _flag(spec: dict[str, Any], key: str) -> bool:
    value = spec.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"asset {spec['_id']}: {key} must be true or false")
    return value


def _asset(spec: dict[str, Any]) -> Asset:
    pages = [base64.b64decode(page, validate=True) for page in spec.get("pagesBase64", [])]
    content = pages[0] if pages else _content(spec)
    content_type = spec["contentType"]
    extension = mimetypes.guess_extension(content_type) or ".bin"
    status = spec.get("status", TODO)
    if status not in TASK_STATUSES:
        raise ValueError(f"unknown task status {status!r}")
    return Asset(
        id=spec["_id"],
        external_id=spec["externalId"],
        filename=f"{spec['_id']}{extension}",
        content_type=content_type,
        content=content,
        width=int(spec["width"]),
        height=int(spec["height"]),
        batches=list(spec.get("batches", [])),
        status=status,
        file_present=not (spec.get("fileMissing", False) or _flag(spec, "dataMissing")),
        private=_flag(spec, "private"),
        data_missing=_flag(spec, "dataMissing"),
        pages=pages,
    )
