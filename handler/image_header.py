"""An image's declared width and height, read from its header without decoding it.

A small file can declare a huge image (a "decompression bomb"): a 30000x30000 PNG of one colour
compresses to kilobytes and decodes to 2.7 GB. Decoders allocate what the header declares, so the
check has to come first. OpenCV has no header-only read; Pillow's `Image.open` reads just the
header (pixels are decoded lazily, and never here). An image Pillow cannot identify is refused by the
caller: an image whose size we cannot check is not decoded.
"""

from __future__ import annotations

import io
import threading
import warnings

from PIL import Image, UnidentifiedImageError

Size = tuple[int, int]  # (width, height)
FORMATS = "JPEG, PNG, WebP, TIFF, BMP, GIF, PNM or another format Pillow identifies"

# The caller enforces its own cap on the declared size; Pillow's built-in bomb check would only
# raise a warning or an error of its own for the same thing before we see the size.
Image.MAX_IMAGE_PIXELS = None
# `catch_warnings` swaps the process-wide filter list and puts back what it saw on entry: two
# download threads inside it at once could leave "error" in force for the whole process.
_WARNINGS_SWAP = threading.Lock()


class UnsupportedImageError(Exception):
    """Not an image format Pillow identifies, or a header too short or malformed to read."""


def declared_size(data: bytes) -> Size:
    try:
        with _WARNINGS_SWAP, warnings.catch_warnings():
            warnings.simplefilter("error")  # a malformed header's warning is a refusal, not noise
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except UnidentifiedImageError:
        raise UnsupportedImageError(f"unsupported image format (expected {FORMATS})") from None
    except Exception:  # Pillow raises many kinds on a truncated or corrupt header
        raise UnsupportedImageError("image header is malformed") from None
    return int(width), int(height)
