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
