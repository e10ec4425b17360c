"""Small generated videos with known content, for the emulator's seeds: nothing is downloaded."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np

from infra.emulator import pictures

FACE_VIDEO_SIZE = (480, 320)  # width, height
FACE_VIDEO_FRAMES = 40
FACE_VIDEO_FPS = 10


@functools.cache
def moving_face_mp4() -> bytes:
    """40 frames (4 s at 10 fps) of the astronaut's face, one frontal face in every frame, moving
    3 pixels right and half a pixel down a frame across a grey backdrop; MPEG-4 Part 2 in MP4,
    which the headless OpenCV wheel both writes and reads."""
    import cv2

    face = np.ascontiguousarray(pictures.photo("astronaut", max_side=512)[0:256, 100:356, ::-1])  # BGR
    width, height = FACE_VIDEO_SIZE
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "face.mp4")
        mp4v = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
        writer = cv2.VideoWriter(path, mp4v, FACE_VIDEO_FPS, (width, height))
        for n in range(FACE_VIDEO_FRAMES):
            frame = np.full((height, width, 3), 90, dtype=np.uint8)
            x, y = 10 + 3 * n, 20 + n // 2
            frame[y : y + 256, x : x + 256] = face
            writer.write(frame)
        writer.release()
        return Path(path).read_bytes()


# The benchmark's long video (tests/perf, `--seed bench-video:<n>`): 5 minutes of 720p at 10 fps.
LONG_VIDEO_SECONDS = 300.0
LONG_VIDEO_FPS = 10
LONG_VIDEO_SIZE = (1280, 720)  # width, height
_FACE_SIDE = 256


@functools.cache
def long_video_mp4(
    seconds: float = LONG_VIDEO_SECONDS, fps: int = LONG_VIDEO_FPS, size: tuple[int, int] = LONG_VIDEO_SIZE
) -> bytes:
    """A long clip for the benchmark: the astronaut's face (one frontal face in every frame) going
    back and forth at 2 pixels a frame over a backdrop of flat shapes that pans 4 pixels a frame, so
    that every frame differs and has to be decoded in full; MPEG-4 Part 2 in MP4, as above.

    Flat shapes rather than a photograph: they keep the file small (about 9 MB for the default 3000
    frames, written in 12 to 16 s on 2 cores) and give the Haar cascade no false faces."""
    import cv2

    face = np.ascontiguousarray(pictures.photo("astronaut", max_side=512)[0:256, 100:356, ::-1])  # BGR
    width, height = size
    backdrop = np.ascontiguousarray(pictures.shapes(2 * width, height, 5)[:, :, ::-1])  # pans, wraps
    x_room, y_room = width - _FACE_SIDE, height - _FACE_SIDE
    if min(x_room, y_room) < 1:
        raise ValueError(f"a long video is wider and taller than its {_FACE_SIDE}-pixel face")
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "long.mp4")
        mp4v = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
        writer = cv2.VideoWriter(path, mp4v, fps, (width, height))
        for n in range(round(seconds * fps)):
            shift = 4 * n % width
            frame = backdrop[:, shift : shift + width].copy()
            x, y = _bounce(2 * n, x_room), _bounce(n // 2, y_room)
            frame[y : y + _FACE_SIDE, x : x + _FACE_SIDE] = face
            writer.write(frame)
        writer.release()
        return Path(path).read_bytes()


def _bounce(step: int, room: int) -> int:
    """0, 1, ..., room, room - 1, ..., 0, 1, ...: a position going back and forth within `room`."""
    phase = step % (2 * room)
    return phase if phase <= room else 2 * room - phase
