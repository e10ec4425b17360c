"""A video through an image model: downloaded to a temporary file, its frames sampled every
`frame_stride`, predicted in batches of `batch_size` frames, tracked from frame to frame, and made
one import item (handler/outputs/paged_items.py). The whole video fails alone, with its reason,
if it cannot be read or the model fails on one of its frames: half a video's labels would look
like a video with nothing in its second half."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from handler.assets import AssetError
from handler.contract.chunks import chunked
from handler.contract.messages import AssetRef
from handler.contract.model import PredictContext
from handler.contract.records import RunRecord
from handler.contract.retry import HubBusyError
from handler.deps import Deps
from handler.inference.predict import predict_checked
from handler.inference.tally import JobTally
from handler.media.video import sampled_frames, temporary_file
from handler.outputs.prelabels import AssetLabels, BadModelOutputError
from handler.outputs.paged_items import VideoLabels
from handler.private_assets import AssetReader

logger = logging.getLogger(__name__)


class _Cancelled(Exception):
    """The run was cancelled while the video was being read."""


def infer_video(
    asset: AssetRef,
    run: RunRecord,
    deps: Deps,
    reader: AssetReader,
    tally: JobTally,
    context: PredictContext[Any],
    run_cancelled: Callable[[], bool],
) -> AssetLabels | None:
    """The video's labels (counted in the tally), or None when it failed or the run was cancelled
    before its last frame (counted as failed, or as not processed)."""
    try:
        labels = _labels(asset, run, deps, reader, tally, context, run_cancelled)
    except _Cancelled:
        tally.cancel([asset])
        return None
    except AssetError as exc:
        tally.fail(asset, str(exc))
        return None
    except HubBusyError:  # signing was rate-limited past patience: the job goes back, whole
        raise
    except Exception:
        logger.exception("asset %s: unexpected error reading the video", asset.asset_id)
        tally.fail(asset, "the video could not be read")
        return None
    tally.predicted(labels)
    return labels


def _labels(
    asset: AssetRef,
    run: RunRecord,
    deps: Deps,
    reader: AssetReader,
    tally: JobTally,
    context: PredictContext[Any],
    run_cancelled: Callable[[], bool],
) -> AssetLabels:
    config = run.config
    targets = {target.model_class: target for target in run.targets}
    suffix = PurePosixPath(urlsplit(asset.data_url).path).suffix or ".video"
    with temporary_file(suffix) as file:
        with tally.timed("download"):
            reader.read_to(asset, file, deps.settings.max_video_bytes)
            file.flush()
        video: VideoLabels | None = None
        frames_at = sampled_frames(file.name, config.frame_stride, config.frames_per_second)
        for batch in chunked(frames_at, config.batch_size):
            if run_cancelled():  # looked at before each batch, as for images: a long video stops
                raise _Cancelled
            frames = [frame for _, frame in batch]
            try:
                predictions = predict_checked(frames, context, deps, tally)
            except BadModelOutputError as exc:
                raise AssetError(f"model returned invalid output on frame {batch[0][0]}..: {exc}") from None
            except Exception:
                logger.exception("run %s: model failed on video %s", run.run_id, asset.asset_id)
                raise AssetError(
                    f"the model failed on frames {batch[0][0]}-{batch[-1][0]} of this video"
                ) from None
            for (page, frame), found in zip(batch, predictions, strict=True):
                if video is None:
                    size = (frame.shape[1], frame.shape[0])
                    video = VideoLabels(run.run_id, asset, size, targets, config)
                video.add(page, found)
    if video is None:
        raise AssetError("not a readable video: no frame could be decoded")
    return video.labels()
