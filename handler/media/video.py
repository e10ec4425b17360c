"""Video assets: written to a temporary file as they download (never whole in memory), decoded frame
by frame with OpenCV (FFmpeg inside the headless wheel reads `.mp4 .mov .webm`), and sampled every
`stride` frames. Only the frame being decoded and the model's batch are ever in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from handler.assets import AssetError
from handler.contract.model import Image


@contextmanager
def temporary_file(suffix: str = ".video") -> Iterator[BinaryIO]:
    """A file in the temporary directory (Lambda: /tmp), removed afterwards whatever happens."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        yield file  # type: ignore[misc]


@dataclass
class FrameWindow:
    """The frames one job reads of a long video: from `start` (a sampled frame) up to, not
    including, `stop` (None: to the end). `cut_at` is set to `stop` when frames remain after it."""

    start: int = 0
    stop: int | None = None
    cut_at: int | None = None


def sampled_frames(
    path: str, stride: int, per_second: float | None = None, window: FrameWindow | None = None
) -> Iterator[tuple[int, Image]]:
    """(frame index, BGR frame) for frames 0, stride, 2 x stride, ... or, given `per_second`, at
    the stride that samples that many frames a second at the video's own rate; within `window`
    when given. Frames in between are only grabbed (demuxed and decoded, not converted), which is
    what skipping costs with OpenCV."""
    import cv2

    window = window or FrameWindow()
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise AssetError("not a readable video")
        if per_second is not None:
            stride = stride_for(capture.get(cv2.CAP_PROP_FPS), per_second)
        index = _seek(capture, window.start)
        while True:
            if window.stop is not None and index >= window.stop:
                if capture.grab():  # frames remain: the next job goes on from here
                    window.cut_at = index
                break
            if index % stride == 0:
                ok, frame = capture.read()
                if not ok:
                    break
                yield index, np.asarray(frame, dtype=np.uint8)  # as decoded: no copy
            elif not capture.grab():
                break
            index += 1
        if index == 0:
            raise AssetError("not a readable video: no frame could be decoded")
    finally:
        capture.release()


def _seek(capture: Any, frame: int) -> int:
    """Put the capture at `frame`: by seeking where OpenCV lands exactly there, else by grabbing
    every frame before it (slower, never wrong). The frame index it is at."""
    import cv2

    if frame == 0:
        return 0
    if capture.set(cv2.CAP_PROP_POS_FRAMES, frame) and int(capture.get(cv2.CAP_PROP_POS_FRAMES)) == frame:
        return frame
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    index = 0
    while index < frame and capture.grab():
        index += 1
    return index


def stride_for(video_rate: float, per_second: float) -> int:
    """The stride that samples `per_second` frames a second of a video at `video_rate`; every frame
    when the video does not say its rate."""
    if not video_rate > 0:
        return 1
    return max(1, round(video_rate / per_second))
