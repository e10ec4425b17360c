"""Plain records for the emulator's state: plugins, users, projects and their assets."""

from __future__ import annotations

import functools
import hashlib
import tempfile
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
    # False: the asset is listed but its file is gone from storage (its URL answers 404), like a
    # bucket object deleted after upload.
    file_present: bool = True
    # True: its URL needs a signature from `GET /v2/getSignedUrl`, like a private bucket (§12.1).
    private: bool = False
    # True: listed with `"data": null` and no file at all (an asset whose upload never completed).
    data_missing: bool = False
    # A multi-image asset's pictures, in order (`content` is the first). Listed as Hub's export shows
    # such an asset: `data` is page 0's URL and `dataset` every page's URL. **Guessed**: that the
    # listings carry `dataset` as the export does.
    pages: list[bytes] = field(default_factory=list)
    downloads: int = 0  # times its file (or one of its pages) was served, for tests

    def data_url(self, base_url: str, project_id: str) -> str | None:
        """The asset's `data` as listed: its plain (unsigned) URL, or None when it has no data."""
        return None if self.data_missing else asset_url(base_url, project_id, self.filename)

    def dataset_urls(self, base_url: str, project_id: str) -> list[str]:
        """A multi-image asset's page URLs (page 0 is `data`); [] for any other asset."""
        return [asset_url(base_url, project_id, name) for name in self.page_filenames]

    @property
    def page_filenames(self) -> list[str]:
        stem, dot, extension = self.filename.rpartition(".")
        return [self.filename] + [f"{stem}-p{n}{dot}{extension}" for n in range(1, len(self.pages))]

    def file(self, filename: str) -> bytes | None:
        """The bytes served under `filename`: the asset's file, or one of its pages."""
        names = self.page_filenames if self.pages else [self.filename]
        if filename not in names:
            return None
        return self.pages[names.index(filename)] if self.pages else self.content

    @property
    def media(self) -> str:
        """What Hub would label it as: "dataset", "video", "pdf", "dicom", "text" or "image", by its
        type, or by its content where its type says nothing."""
        head = self.content[:132]
        if self.pages:
            return "dataset"
        if self.content_type.startswith("video/") or head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3":
            return "video"
        if self.content_type == "application/pdf" or head[:5] == b"%PDF-":
            return "pdf"
        if self.content_type == "application/dicom" or head[128:132] == b"DICM":
            return "dicom"
        return "text" if self.content_type.startswith("text/") else "image"

    @property
    def is_video(self) -> bool:
        return self.media == "video"

    @property
    def page_count(self) -> int:
        """Its frames or pages (a video's by decoding it; 0 when it cannot be read); 1 for a picture."""
        if self.media == "video":
            return count_frames(self.content)
        if self.media in ("pdf", "dicom"):
            return count_pages(self.content, self.media)
        return len(self.pages) or 1

    def reset_labels(self) -> None:
        self.answer = empty_answer()
        self.is_prelabeled = False
        self.import_count = 0
        self.downloads = 0

    @property
    def task_id(self) -> str:
        """The id of the asset's one task: derived, so it is stable across resets and reseeds."""
        return hashlib.sha256(f"task:{self.id}".encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=16)
def count_pages(content: bytes, media: str) -> int:
    """A PDF's pages or a DICOM file's frames (0 when it cannot be read), cached as frames are."""
    from .documents import dicom_frame_count, pdf_page_count

    try:
        return pdf_page_count(content) if media == "pdf" else dicom_frame_count(content)
    except Exception:
        return 0


@functools.lru_cache(maxsize=16)
def count_frames(content: bytes) -> int:
    """Frames of a video file's bytes, by decoding it: cached by content, since a reset re-reads
    the seed's assets and an import checks every object's page against the count."""
    import cv2

    with tempfile.NamedTemporaryFile(suffix=".video") as file:
        file.write(content)
        file.flush()
        capture = cv2.VideoCapture(file.name)
        frames = 0
        while capture.isOpened() and capture.grab():
            frames += 1
        capture.release()
    return frames


@dataclass
class Project:
    id: str
    name: str
    category_schema: dict[str, Any]
    batches: list[dict[str, str]]
    stages: list[dict[str, Any]]
    # ProjectType in the SDK (models/enums.py): "ango" (a standard project, whatever media its assets
    # are), "pct" (point clouds), "iframe". None: left out of the answer, as in the docs' old "Get
    # Project" sample.
    type: str | None = "ango"
    assets: list[Asset] = field(default_factory=list)
    # Wall-clock times (time.time()) of the first and last applied import, for tests and benchmarks.
    first_import_at: float | None = None
    last_import_at: float | None = None
    imports: int = 0
    _asset_index: AssetIndex | None = field(default=None, init=False, repr=False, compare=False)

    def note_import(self, at: float) -> None:
        """Record an applied `POST /v2/import/labels`, whatever answer the client ended up seeing."""
        if self.first_import_at is None:
            self.first_import_at = at
        self.last_import_at = at
        self.imports += 1

    def batch_ids(self) -> set[str]:
        return {b["_id"] for b in self.batches}

    def asset_by_filename(self, filename: str) -> Asset | None:
        """The asset served under `filename` (its file, or one of a multi-image asset's pages)."""
        found = self._index().by_file.get(filename, [])
        return next((a for a in found if a.file(filename) is not None), None)

    def asset_by_url(self, base_url: str, url: str) -> Asset | None:
        """The asset whose listed `data` is exactly `url` (a signed or altered URL matches none)."""
        return next(iter(self.assets_by_url(base_url, url)), None)

    def assets_by_url(self, base_url: str, url: str) -> list[Asset]:
        """Every asset whose listed `data` is exactly `url`, in the project's order."""
        prefix = asset_url(base_url, self.id, "")
        if not url.startswith(prefix):
            return []
        named = self._index().by_file.get(url[len(prefix) :], [])
        return [a for a in named if a.data_url(base_url, self.id) == url]

    def assets_by_external_id(self, external_id: str) -> list[Asset]:
        """Every asset of this external id, in the project's order."""
        return list(self._index().by_external_id.get(external_id, []))

    def _index(self) -> AssetIndex:
        """Lookups by file name and external id. Assets are only ever added (seed, uploads), so the
        index is made again whenever their count changes: every download and every import item
        looks an asset up, and a linear search of a 10,000-asset project made the emulator, not the
        adapter, the bottleneck of the benchmark's bigger fleets."""
        if self._asset_index is None or self._asset_index.size != len(self.assets):
            self._asset_index = AssetIndex.of(self.assets)
        return self._asset_index

    def describe(self) -> dict[str, Any]:
        """The `data.project` body of `GET /v2/project/{id}`."""
        return {
            "_id": self.id,
            "name": self.name,
            "categorySchema": self.category_schema,
            "batches": [dict(b) for b in self.batches],
            "stages": [dict(s) for s in self.stages],
            **({"type": self.type} if self.type is not None else {}),
        }


@dataclass(frozen=True)
class AssetIndex:
    """A project's assets by every file name they are served under, and by external id."""

    size: int  # how many assets it was made from
    by_file: dict[str, list[Asset]]
    by_external_id: dict[str, list[Asset]]

    @classmethod
    def of(cls, assets: list[Asset]) -> AssetIndex:
        by_file: dict[str, list[Asset]] = {}
        by_external_id: dict[str, list[Asset]] = {}
        for asset in assets:
            for name in asset.page_filenames:
                by_file.setdefault(name, []).append(asset)
            by_external_id.setdefault(asset.external_id, []).append(asset)
        return cls(len(assets), by_file, by_external_id)


def asset_url(base_url: str, project_id: str, filename: str) -> str:
    """Where an asset's bytes are served: a public-bucket-style URL on the emulator itself."""
    return f"{base_url}/files/{project_id}/{filename}"
