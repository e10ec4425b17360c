"""Assets uploaded while a run lists (knob `uploads_per_listing`): a team that keeps
uploading to a project. Each new asset is a copy of the project's newest asset that has a file
(same picture and batches) with an id and an externalId of its own, its file in public storage,
and a fresh To-Do task. Hub lists newest first, so every upload moves every asset one place further
down the listing's pages."""

from __future__ import annotations

import dataclasses
import hashlib

from .model import TODO, Asset, Project, empty_answer


def upload_copies(project: Project, count: int) -> list[Asset]:
    """Append `count` new assets to `project` (appended means newest); the new assets."""
    if count <= 0:
        return []
    newest = next((a for a in reversed(project.assets) if not a.data_missing), None)
    if newest is None:
        return []
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
            # An ordinary upload, whatever the asset it copies was: public, with its file.
            file_present=True,
            private=False,
            data_missing=False,
        )
        project.assets.append(copy)
        made.append(copy)
    return made
