"""Uploads while a run lists: ordinary new To-Do assets, newest last, copied from an asset with a file."""

from __future__ import annotations

import pytest

from infra.emulator.model import Asset, Project
from infra.emulator.uploads import upload_copies

pytestmark = pytest.mark.unit


def _asset(n: int, **flags: object) -> Asset:
    flags.setdefault("content", b"jpeg-bytes")
    return Asset(
        id=f"{n:024x}",
        external_id=f"img{n}.jpg",
        filename=f"{n:024x}.jpg",
        content_type="image/jpeg",
        width=8,
        height=8,
        batches=["B"],
        **flags,  # type: ignore[arg-type]
    )


def test_uploads_are_ordinary_to_do_assets_of_their_own_appended_as_the_newest():
    labeled = _asset(1, status="COMPLETED", is_prelabeled=True, private=True)
    broken = _asset(2, data_missing=True, file_present=False, content=b"")
    project = Project(id="p", name="p", category_schema={}, batches=[], stages=[], assets=[labeled, broken])
    made = upload_copies(project, 3)
    assert project.assets[2:] == made and len({a.id for a in project.assets}) == 5
    for asset in made:
        assert (asset.status, asset.is_prelabeled, asset.import_count) == ("TODO", False, 0)
        assert (asset.private, asset.data_missing, asset.file_present) == (False, False, True)
        assert asset.content == b"jpeg-bytes" and asset.batches == ["B"]  # copied from the one with a file
        assert asset.external_id.startswith("upload-") and asset.filename == f"{asset.id}.jpg"
    assert upload_copies(project, 0) == [] and len(project.assets) == 5


def test_assets_uploaded_after_a_lookup_are_found_by_file_url_and_external_id():
    """The project's lookups are indexed; an upload (the one way assets are added) is seen at once."""
    first = _asset(1)
    project = Project(id="p", name="p", category_schema={}, batches=[], stages=[], assets=[first])
    assert project.asset_by_filename(first.filename) is first  # the index is made here
    (copy,) = upload_copies(project, 1)
    assert project.asset_by_filename(copy.filename) is copy
    assert project.asset_by_url("http://hub", f"http://hub/files/p/{copy.filename}") is copy
    assert project.assets_by_external_id(copy.external_id) == [copy]
    assert project.asset_by_filename("nothing.jpg") is None
    assert project.asset_by_url("http://hub", f"http://other/files/p/{copy.filename}") is None
