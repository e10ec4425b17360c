"""Assets uploaded while a run lists (knob `uploads_per_assets_listing`): a team that keeps
uploading to a project. Each new asset is a copy of the project's newest one (same picture and
batches) with an id and an externalId of its own, and a fresh To-Do task. Hub lists newest first,
so every upload moves every asset one place further down the listing's pages."""

from __future__ import annotations

import dataclasses
import hashlib

from .model import TODO, Asset, Project, empty_answer


def upload_copies(project: Project, count: int) -> list[Asset]:
    """Append `count` new assets to `project` (appended means newest); the new assets."""
    if count <= 0 or not project.assets:
        return []
    newest = project.assets[-1]
    extension = newest.filename[len(newest.id) :]
    made = []
    for _ in range(count):
        number = len(project.assets) + 1
        asset_id = hashlib.sha256(f"upload:{project.id}:{number}".encode()).hexdigest()[:24]
        copy = dataclasses.replace(
            newest,
            id=asset_id,
            external_id=f"upload-{number:06d}{extension}",
            filename=f"{asset_id}{extension}",
            batches=list(newest.batches),
            status=TODO,
            is_prelabeled=False,
            answer=empty_answer(),
            import_count=0,
        )
        project.assets.append(copy)
        made.append(copy)
    return made
