"""A work job: download its assets, run the model in batches, import the pre-labels.

Downloads run ahead of the model through a bounded window, so I/O overlaps inference while memory
stays bounded by the window, not by the job. Every asset ends labeled, empty or failed with a reason.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from itertools import islice
from typing import Any, TypeVar

from handler.assets import AssetError, AssetNotReadError
from handler.cancel_watch import CancelWatch
from handler.contract.chunks import chunked
from handler.contract.logs import asset_task
from handler.contract.messages import AssetRef, InferJob
from handler.contract.model import EncodedImage, Image, PredictContext, Prediction
from handler.contract.records import JobPart, JobResult, RunRecord
from handler.contract.retry import HubBusyError
from handler.deps import Deps
from handler.import_journal import ImportJournal
from handler.importer import Importer
from handler.inference.model_turns import job_place
from handler.inference.paged_assets import (
    JobWork,
    PagedKind,
    VideoContinues,
    infer_paged,
    paged_kind,
    paged_kind_of_url,
)
from handler.inference.predict import predict_checked
from handler.inference.tally import JobTally
from handler.media.kinds import MediaKind
from handler.media.text import text_size
from handler.outputs.prelabels import AssetLabels, BadModelOutputError, build_item, targets_by_class
from handler.private_assets import AssetReader

logger = logging.getLogger(__name__)
T = TypeVar("T")


class JobContinues(Exception):
    """The job imported what it finished and goes on in a new message (a long video's next part)."""


R = TypeVar("R")

# An image (decoded, or its file for a model that takes such files), or a text asset's text.
Readable = Image | EncodedImage | str
Loaded = tuple[AssetRef, Readable]


def infer_job(
    job: InferJob, run: RunRecord, deps: Deps, cancelled: threading.Event | None = None
) -> JobResult | None:
    """Do the job unless its result is recorded; the new result, or None if it was done before."""
    result = deps.ledger.load_job_result(run.run_id, job.job_id)
    done_now = result is None or result.dead_lettered  # a redriven job runs again
    if done_now:
        result = _process(job, run, deps, cancelled)
        deps.ledger.save_job_result(run.run_id, result)
    else:
        logger.info("job %s already done; re-sending its status", job.idempotency_key)
    assert result is not None
    deps.status.send(result.status_event(run.run_id))
    return result if done_now else None


def _process(job: InferJob, run: RunRecord, deps: Deps, cancelled: threading.Event | None) -> JobResult:
    tally, run_cancelled = JobTally(), CancelWatch(deps.ledger, run.run_id)
    part, part_version = deps.ledger.load_job_part(run.run_id, job.job_id)
    counted = part.counted if part is not None else ()
    if part is not None:  # the job's earlier messages: counted once, here
        tally.absorb(part.result)
    with deps.hub_client(run) as client:
        journal = ImportJournal(deps.ledger, run.run_id, job.job_id)
        importer = Importer(client, run.project_id, run.run_id, journal)
        if job.is_retry and journal.is_new:
            # Its assets failed or went unprocessed in other jobs, whose journals this one does not
            # read; one of them may have landed all the same (a crash mid-import): Hub is asked.
            journal.mark_in_doubt({asset.asset_id: 0 for asset in job.assets})
        importer.settle_in_doubt(job.assets)
        done = journal.done()
        for asset_id, objects in done.items():  # imported by an earlier attempt: neither downloaded
            if asset_id not in counted:  # nor imported again
                tally.imported(objects)
        todo = [asset for asset in job.assets if asset.asset_id not in done and asset.asset_id not in counted]
        if run_cancelled():  # a job of a cancelled run, received: recorded as cancelled, acknowledged
            logger.info("job %s: run cancelled; %d assets not processed", job.idempotency_key, len(todo))
            tally.cancel(todo)
            return tally.result(job.job_id, job.queued_at)
        logger.info("job %s: inferring %d assets (%d done before)", job.idempotency_key, len(todo), len(done))
        reader = AssetReader(deps.fetcher, lambda url: client.signed_url(run.project_id, url))
        known = dict(part.kinds) if part is not None else {}
        ready, rest = _infer(todo, known, job.job_id, run, deps, reader, tally, run_cancelled)
        logger.info("job %s: importing %d assets", job.idempotency_key, len(ready))
        with tally.timed("import"):
            importer.import_all(ready, run.config.import_batch_size, tally, cancelled, run_cancelled)
    if rest:  # the job goes on in a new message: what this one did is counted in its part
        waiting = {asset.asset_id: kind for asset, kind in rest}
        now_counted = [*counted, *(a for a in done if a not in counted)]
        now_counted += [asset.asset_id for asset in todo if asset.asset_id not in waiting]
        result = tally.result(job.job_id, job.queued_at)
        part = JobPart(result=result, counted=tuple(now_counted), kinds=waiting)
        deps.ledger.save_job_part(run.run_id, job.job_id, part, part_version)
        raise JobContinues(f"job {job.idempotency_key}: a long video goes on in the job's next message")
    return tally.result(job.job_id, job.queued_at)


def _infer(
    todo: list[AssetRef],
    known: dict[str, PagedKind],
    job_id: str,
    run: RunRecord,
    deps: Deps,
    reader: AssetReader,
    tally: JobTally,
    run_cancelled: Callable[[], bool],
) -> tuple[list[tuple[AssetRef, AssetLabels]], list[tuple[AssetRef, PagedKind]]]:
    """Download ahead of the model, predict in batches; the labeled assets, ready to import, and
    those left for the job's next message, with their kinds (a long video read to this job's frame
    budget, and the job's assets of many pictures after it; none when the job ends here). `known`:
    the kinds of assets an earlier message of the job found out from their content. The run's
    cancel is looked at before each model batch: the rest are then counted as cancelled.
    Videos come after the job's other assets, one at a time (paged_assets.py): those whose URL
    says so, then those whose content did."""
    config = run.config
    context = PredictContext(
        config=deps.model_factory.spec.config.model_validate(config.model), run_id=run.run_id
    )
    targets = targets_by_class(run.targets)
    reads = deps.model_factory.spec.reads
    paged: list[tuple[AssetRef, PagedKind]] = [
        (asset, kind)
        for asset in todo
        if (kind := known.get(asset.asset_id) or paged_kind_of_url(asset, reads)) is not None
    ]
    paged_ids = {asset.asset_id for asset, _ in paged}
    stills = [asset for asset in todo if asset.asset_id not in paged_ids]
    ready, taken, place = [], 0, job_place(job_id)
    window = max(deps.settings.download_concurrency, 2 * config.batch_size)
    with ThreadPoolExecutor(deps.settings.download_concurrency) as pool:
        read = _reading(deps, reader)
        downloads = _prefetch(pool, asset_task(read), stills, window)  # logs: job's ids
        for batch in chunked(downloads, config.batch_size):
            if run_cancelled():
                tally.cancel(stills[taken:])
                break
            taken += len(batch)
            with tally.timed("download"):
                loaded = _collect(batch, tally, paged, reads)
            for asset, image, predictions in _predict(loaded, context, deps, tally, place):
                size = _size_of(image)
                labels = build_item(run.run_id, asset, size, predictions, targets, config)
                tally.predicted(labels)
                if labels.item is not None:
                    ready.append((asset, labels))
    work = JobWork(job_id, run, deps, reader, tally, context, run_cancelled)
    for n, (asset, kind) in enumerate(paged):
        if run_cancelled():
            tally.cancel([asset for asset, _ in paged[n:]])
            break
        try:
            paged_labels = infer_paged(asset, kind, work)
        except VideoContinues:
            return ready, paged[n:]
        if paged_labels is not None and paged_labels.item is not None:
            ready.append((asset, paged_labels))
    return ready, []


def _reading(deps: Deps, reader: AssetReader) -> Callable[[AssetRef], Readable]:
    """How the job's single assets are read: texts for a text model; pictures as their files for a
    model that takes those formats as they are (an endpoint sent the JPEG), else decoded."""
    if deps.model_factory.spec.media == "text":
        return reader.read_text
    formats = frozenset(getattr(deps.model, "takes_encoded", ()))
    return partial(reader.read_picture, formats=formats) if formats else reader.read_image


def _size_of(item: Readable) -> tuple[int, int]:
    if isinstance(item, str):
        return text_size(item)
    if isinstance(item, EncodedImage):
        return item.width, item.height
    return item.shape[1], item.shape[0]


def _prefetch(
    pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[tuple[T, Future[R]]]:
    """Yield (item, future) in order, keeping at most `window` downloads in flight or waiting."""
    source = iter(items)
    pending = deque((item, pool.submit(fn, item)) for item in islice(source, window))
    while pending:
        head = pending.popleft()
        for item in islice(source, 1):
            pending.append((item, pool.submit(fn, item)))
        yield head


def _collect(
    batch: Iterable[tuple[AssetRef, Future[Readable]]],
    tally: JobTally,
    paged: list[tuple[AssetRef, PagedKind]],
    reads: frozenset[MediaKind],
) -> list[Loaded]:
    """The batch's downloads, read; what failed is counted. An asset of many pictures whose URL did
    not say so (a video, PDF or DICOM file) goes to `paged` (read again, page by page) when the
    model reads its kind, else is skipped."""
    loaded = []
    for asset, future in batch:
        try:
            loaded.append((asset, future.result()))
        except AssetNotReadError as exc:
            kind = paged_kind(asset, exc.kind) if exc.kind in reads else None
            if kind is not None:
                paged.append((asset, kind))
            else:
                tally.skip(exc.kind)
        except AssetError as exc:
            tally.fail(asset, str(exc))
        except HubBusyError:  # signing was rate-limited past patience: the job goes back, whole
            raise
        except Exception:
            logger.exception("asset %s: unexpected download error", asset.asset_id)
            tally.fail(asset, "download failed")
    return loaded


def _predict(
    loaded: list[Loaded], context: PredictContext[Any], deps: Deps, tally: JobTally, place: int
) -> Iterator[tuple[AssetRef, Readable, list[Prediction]]]:
    if not loaded:
        return
    images = [image for _, image in loaded]
    try:
        predictions = predict_checked(images, context, deps, tally, place)
    except BadModelOutputError as exc:
        logger.error("run %s: bad model output: %s", context.run_id, exc)
        for asset, _ in loaded:
            tally.fail(asset, f"model returned invalid output: {exc}")
        return
    except Exception:
        if len(loaded) > 1:  # find the one image the model chokes on; the others still count
            for single in loaded:
                yield from _predict([single], context, deps, tally, place)
            return
        logger.exception("run %s: model failed on asset %s", context.run_id, loaded[0][0].asset_id)
        tally.fail(loaded[0][0], "the model failed on this image")
        return
    for (asset, image), found in zip(loaded, predictions, strict=True):
        yield asset, image, found
