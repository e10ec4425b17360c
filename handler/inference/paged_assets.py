"""An asset of many pictures through an image model: a video's sampled frames, a PDF's rendered
pages, a DICOM file's frames or a multi-image asset's pages. The file is written to a temporary
file as it downloads (a multi-image asset's pages are downloaded one by one), its pictures are
read one at a time, predicted in batches of `batch_size`, and made one import item
(handler/outputs/paged_items.py). The asset fails alone, with its reason, if it cannot be read or
the model fails on one of its pages: half a video's labels would look like a video with nothing in
its second half.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from handler.assets import AssetError
from handler.contract.chunks import chunked
from handler.contract.ledger import ImportConflict
from handler.contract.messages import AssetRef
from handler.contract.model import Image, PredictContext
from handler.contract.records import RunRecord
from handler.contract.retry import HubBusyError
from handler.deps import Deps
from handler.inference.model_turns import job_place
from handler.inference.predict import predict_checked
from handler.inference.tally import JobTally
from handler.media.kinds import MediaKind, kind_of_url
from handler.media.video import FrameWindow, sampled_frames, temporary_file
from handler.outputs.paged_items import PagedLabels, PdfLabels
from handler.outputs.prelabels import AssetLabels, BadModelOutputError
from handler.private_assets import AssetReader

logger = logging.getLogger(__name__)

PagedKind = Literal["video", "document", "medical", "dataset"]
FILE_KINDS: frozenset[MediaKind] = frozenset({"video", "document", "medical"})
Pages = Iterator[tuple[int | None, Image]]  # (page index from 0, or None for a one-page DICOM; picture)


class _Cancelled(Exception):
    """The run was cancelled while the asset was being read."""


class VideoContinues(Exception):
    """The job read as many frames of a long video as it may (`video_frames_per_job`): how far it
    got is saved (VideoProgress), and the job goes on in a new message from that frame, with the
    same tracks, so an object keeps its id across the split."""


def paged_kind(asset: AssetRef, kind: MediaKind) -> PagedKind | None:
    """How the asset is read page by page, given its kind (by URL or content); None for one picture."""
    if asset.pages:
        return "dataset"
    return kind if kind in FILE_KINDS else None  # type: ignore[return-value]


def paged_kind_of_url(asset: AssetRef, reads: frozenset[MediaKind]) -> PagedKind | None:
    """The same, from the asset's URL alone (no download): None when it does not say, or says a
    kind the model does not read."""
    if asset.pages:
        return "dataset" if "image" in reads else None
    kind = kind_of_url(asset.data_url)
    return paged_kind(asset, kind) if kind in reads else None


@dataclass(frozen=True)
class JobWork:
    """What one message of a job reads and predicts its assets with."""

    job_id: str
    run: RunRecord
    deps: Deps
    reader: AssetReader
    tally: JobTally
    context: PredictContext[Any]
    run_cancelled: Callable[[], bool]


def infer_paged(asset: AssetRef, kind: PagedKind, work: JobWork) -> AssetLabels | None:
    """The asset's labels (counted in the tally), or None when it failed or the run was cancelled
    before its last page (counted as failed, or as not processed). Raises VideoContinues when a long
    video goes on in the job's next message."""
    tally = work.tally
    try:
        labels = _labels(asset, kind, work)
    except _Cancelled:
        tally.cancel([asset])
        return None
    except AssetError as exc:
        tally.fail(asset, str(exc))
        return None
    # The job goes back, whole; goes on in a new message; or lost the race to another copy of its
    # message, whose progress stands (its own message comes back later).
    except (HubBusyError, VideoContinues, ImportConflict):
        raise
    except Exception:
        logger.exception("asset %s: unexpected error reading its %s", asset.asset_id, kind)
        tally.fail(asset, f"the {_NAMES[kind]} could not be read")
        return None
    tally.predicted(labels)
    return labels


_NAMES: dict[PagedKind, str] = {
    "video": "video",
    "document": "PDF",
    "medical": "DICOM file",
    "dataset": "multi-image asset",
}


def _labels(asset: AssetRef, kind: PagedKind, work: JobWork) -> AssetLabels:
    run, deps, job_id = work.run, work.deps, work.job_id
    config = run.config
    builder = (PdfLabels if kind == "document" else PagedLabels)(run.run_id, asset, run.targets, config)
    window, progress, version = FrameWindow(), None, None
    if kind == "video":  # a long video goes on where the job's last message stopped
        progress, version = deps.ledger.load_video_progress(run.run_id, job_id, asset.asset_id)
        if progress is not None:
            assert isinstance(builder, PagedLabels)
            builder.resume(progress)
            window.start = progress.next_frame
        window.stop = window.start + deps.settings.video_frames_per_job
    read_any = False
    with _pages(asset, kind, work, window) as pages:
        for batch in chunked(pages, config.batch_size):
            if work.run_cancelled():  # looked at before each batch, as for images: a long video stops
                raise _Cancelled
            read_any = True
            first, last = _page_name(kind, batch[0][0]), _page_name(kind, batch[-1][0])
            try:
                images = [image for _, image in batch]
                predictions = predict_checked(images, work.context, deps, work.tally, job_place(job_id))
            except BadModelOutputError as exc:
                raise AssetError(f"model returned invalid output on {first}..: {exc}") from None
            except Exception:
                logger.exception("run %s: model failed on %s", run.run_id, asset.asset_id)
                raise AssetError(f"the model failed on {first}-{last} of this {_NAMES[kind]}") from None
            for (page, image), found in zip(batch, predictions, strict=True):
                builder.add(page, (image.shape[1], image.shape[0]), found)
    if window.cut_at is not None:
        assert isinstance(builder, PagedLabels)
        deps.ledger.save_video_progress(
            run.run_id, job_id, asset.asset_id, builder.progress(window.cut_at), version
        )
        logger.info(
            "asset %s: video read to frame %d; it goes on in the job's next message",
            asset.asset_id,
            window.cut_at,
        )
        raise VideoContinues(asset.asset_id)
    if not read_any and progress is None:
        raise AssetError(f"not a readable {_NAMES[kind]}: no page could be read")
    return builder.labels()


def _page_name(kind: PagedKind, page: int | None) -> str:
    if page is None:
        return "its image"
    return f"frame {page}" if kind in ("video", "medical") else f"page {page + 1}"


@contextmanager
def _pages(asset: AssetRef, kind: PagedKind, work: JobWork, window: FrameWindow) -> Iterator[Pages]:
    """The asset's pictures, one at a time, its file (if any) kept while they are read."""
    if kind == "dataset":
        yield _dataset_pages(asset, work.reader, work.tally)
        return
    settings = work.deps.settings
    cap = settings.max_video_bytes if kind == "video" else settings.max_document_bytes
    suffix = PurePosixPath(urlsplit(asset.data_url).path).suffix or f".{kind}"
    with temporary_file(suffix) as file:
        with work.tally.timed("download"):
            work.reader.read_to(asset, file, cap)
            file.flush()
        yield _file_pages(file.name, kind, work.run, settings.max_image_pixels, window)


def _file_pages(path: str, kind: PagedKind, run: RunRecord, max_pixels: int, window: FrameWindow) -> Pages:
    config = run.config
    if kind == "video":
        yield from sampled_frames(path, config.frame_stride, config.frames_per_second, window)
    elif kind == "document":
        from handler.media.pdf import pdf_pages

        yield from pdf_pages(path, config.pdf_dpi / 72, max_pixels=max_pixels)
    else:
        from handler.media.dicom import dicom_frame_count, dicom_frames

        # One frame is a slice, imported as an image is (no page); several are pages, as a video's.
        one_frame = dicom_frame_count(path) == 1
        for index, frame in dicom_frames(path):
            yield (None if one_frame else index), frame


def _dataset_pages(asset: AssetRef, reader: AssetReader, tally: JobTally) -> Pages:
    """A multi-image asset's pages, each downloaded when the model is ready for it (a failed page
    fails the asset, naming the page)."""
    for index, url in enumerate(asset.pages):
        with tally.timed("download"):
            try:
                image = reader.read_image(asset.model_copy(update={"data_url": url, "pages": ()}))
            except AssetError as exc:
                raise AssetError(f"page {index + 1}: {exc}") from None
        yield index, image
