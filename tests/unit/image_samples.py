"""Small images for tests: a real PNG, and a tiny one that declares an enormous size."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np


def png(width: int = 13, height: int = 7) -> bytes:
    ok, data = cv2.imencode(".png", np.full((height, width, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny, well-formed PNG that declares width x height (2.7 GB as BGR) and holds one row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = zlib.compress(b"\0" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
