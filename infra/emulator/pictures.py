"""Pixels for the demo seed: scikit-image's bundled photographs and cheap generated pictures.

Only images shipped inside the scikit-image wheel are used, so nothing is fetched at run time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from skimage import data as skdata

Array = NDArray[np.uint8]

# Bundled in the scikit-image wheel (skimage/data/*.png|jpg), so they load offline.
PHOTOS = (
    "camera", "coffee", "chelsea", "rocket", "moon", "page", "brick", "grass", "gravel",
    "colorwheel", "text", "hubble_deep_field", "retina", "immunohistochemistry", "logo",
    "microaneurysms", "horse",
)  # fmt: skip
# These make OpenCV's Haar face cascade fire falsely, so they stay out of Batch A.
FALSE_FACE_PHOTOS = ("coins", "cell", "clock")
ASTRONAUT_VARIANTS = (
    "full", "half", "three-quarter", "large", "crop-top-left", "crop-face", "crop-center", "mirrored", "grey",
)  # fmt: skip


def photo(name: str, max_side: int = 640) -> Array:
    """A bundled photograph as uint8 RGB/grey, shrunk so its longer side is at most `max_side`."""
    pixels = np.asarray(getattr(skdata, name)())
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    return _shrink(pixels.astype(np.uint8), max_side)


def astronaut_variants() -> list[tuple[str, Array]]:
    """The astronaut (one frontal face) at scales and crops that keep the face frontal and whole."""
    full = photo("astronaut", max_side=512)
    grey = np.asarray(Image.fromarray(full).convert("L"), dtype=np.uint8)
    variants = [
        full,
        _resize(full, 256, 256),
        _resize(full, 384, 384),
        _resize(full, 640, 640),
        np.ascontiguousarray(full[0:300, 0:400]),
        np.ascontiguousarray(full[0:256, 100:384]),
        np.ascontiguousarray(full[50:350, 50:450]),
        np.ascontiguousarray(full[:, ::-1]),
        grey,
    ]
    return list(zip(ASTRONAUT_VARIANTS, variants, strict=True))


def gradient(width: int, height: int, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    start, stop = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0.0, 1.0, width)[None, :, None]
    row = start[None, None, :] * (1 - t) + stop[None, None, :] * t
    return np.repeat(row, height, axis=0).astype(np.uint8)


def shapes(width: int, height: int, seed: int) -> Array:
    """Flat background with a few filled rectangles and discs."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width, 3), rng.integers(0, 256, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    for _ in range(4):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(10, max(11, min(width, height) // 3)))
        colour = rng.integers(0, 256, 3)
        if rng.random() < 0.5:
            pixels[y : y + size, x : x + size] = colour
        else:
            pixels[(yy - y) ** 2 + (xx - x) ** 2 <= size**2] = colour
    return pixels


def noise(width: int, height: int, seed: int) -> Array:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _resize(pixels: Array, width: int, height: int) -> Array:
    resized = Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)


def _shrink(pixels: Array, max_side: int) -> Array:
    height, width = pixels.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return pixels
    return _resize(pixels, round(width * scale), round(height * scale))
