"""Declared image sizes are read from headers alone, and too-large images are refused before decoding."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest

from handler.assets import AssetError, decode_image
from handler.image_header import UnsupportedImageError, declared_size
from tests.unit.image_samples import bomb_png, png

pytestmark = pytest.mark.unit


def encoded(ext: str, width: int = 13, height: int = 7, params: list[int] | None = None) -> bytes:
    ok, data = cv2.imencode(ext, np.full((height, width, 3), 90, np.uint8), params or [])
    assert ok
    return data.tobytes()


@pytest.mark.parametrize(
    ("ext", "params"),
    [
        (".png", None),
        (".jpg", None),
        (".bmp", None),
        (".webp", None),  # lossless (VP8L) at OpenCV's default
        (".webp", [cv2.IMWRITE_WEBP_QUALITY, 50]),  # lossy (VP8)
        (".tif", None),
        (".ppm", None),
        (".gif", None),
    ],
)
def test_sizes_of_what_opencv_writes_are_read_from_the_header(ext, params):
    data = encoded(ext, params=params)
    assert declared_size(data) == (13, 7)
    assert decode_image(data).shape == (7, 13, 3)


def test_a_jpeg_exif_thumbnail_is_not_mistaken_for_the_image():
    data = encoded(".jpg", width=40, height=30)
    fake_frame = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 9999, 9999) + b"\x03" + b"\0" * 9
    app1 = b"\xff\xe1" + struct.pack(">H", len(fake_frame) + 2) + fake_frame
    assert declared_size(data[:2] + app1 + data[2:]) == (40, 30)


def test_a_webp_declaring_a_huge_canvas_is_never_decoded():
    vp8x = b"RIFF\0\0\0\0WEBPVP8X" + b"\x0a\0\0\0" + b"\0\0\0\0" + (29_999).to_bytes(3, "little") * 2
    with pytest.raises(AssetError):  # refused as a bomb or as unreadable, but never decoded
        decode_image(vp8x)


def test_a_gif_frame_larger_than_its_screen_is_never_decoded():
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)  # 1x1, no colour table
    graphic_control = b"\x21\xf9\x04\0\0\0\0\0"
    frame = b"\x2c" + struct.pack("<HHHH", 0, 0, 60_000, 50_000) + b"\0"
    with pytest.raises(AssetError):
        decode_image(screen + graphic_control + frame)


def test_a_top_down_bmp_counts_its_rows():
    data = bytearray(encoded(".bmp", width=5, height=4))
    data[22:26] = struct.pack("<i", -4)
    assert declared_size(bytes(data)) == (5, 4)


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(AssetError, match=r"^image is 30000x30000 pixels, more than the 50000000 allowed$"):
        decode_image(bomb_png())


def test_the_pixel_cap_is_inclusive():
    data = png(width=100, height=100)
    assert decode_image(data, max_pixels=10_000).shape == (100, 100, 3)
    with pytest.raises(AssetError, match="100x100 pixels, more than the 9999 allowed"):
        decode_image(data, max_pixels=9_999)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # OpenCV reads Radiance HDR, but its size is not checked here: refused.
        (encoded(".hdr"), "not a readable image: unsupported image format"),
        # Not an image, and its content says what it is instead.
        (b"hello, not an image", "its content is text, which this model does not read"),
        (b"", "not a readable image: unsupported image format"),
        (png()[:20], "not a readable image: image header is malformed"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not a readable image: image header is malformed"),
        (png()[:60], "not a readable image"),  # a real header, then too little data to decode
    ],
)
def test_unreadable_images_fail_with_a_reason(data, reason):
    with pytest.raises(AssetError) as caught:
        decode_image(data)
    assert str(caught.value).startswith(reason)


def test_unsupported_formats_name_what_is_expected():
    with pytest.raises(UnsupportedImageError, match=r"unsupported image format \(expected JPEG, PNG, WebP"):
        declared_size(b"#?RADIANCE\n")
