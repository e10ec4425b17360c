"""DICOM assets as an image model reads them: each frame as an 8-bit BGR picture, one at a time.

A DICOM frame holds stored values (often 12 or 16 bits) that mean nothing on a screen until the
Modality LUT (RescaleSlope/Intercept) and a VOI window map them to grey levels; a model trained on
photographs wants what a radiologist's viewer shows, so frames are windowed as a viewer would:
the file's own WindowCenter/WindowWidth (the linear function of DICOM PS3.3 C.11.2.1.2), else the
frame's own range.

pydicom 3 decodes frame by frame: `pydicom.pixels.iter_pixels(path)` reads one frame's bytes from
the file and decodes only those, where `Dataset.pixel_array` decodes every frame at once (a 300-frame
1024 x 1024 16-bit file of 600 MB: 97 MB peak resident with iter_pixels, 1.25 GB with pixel_array).
It decodes native data, Deflated and RLE Lossless by itself, and JPEG Baseline, 8-bit JPEG Extended
and JPEG 2000 through Pillow (a dependency already); JPEG Lossless, JPEG-LS and HTJ2K need plugins
(pylibjpeg, gdcm) that this package does not install; 12-bit JPEG Extended and colour JPEG 2000
of more than 8 bits are beyond Pillow too. Those files fail as assets, naming their syntax.

pydicom is imported inside the functions: the listener imports handler modules and stays light.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from handler.assets import AssetError
from handler.contract.model import Image

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

# Pixel Data can be large: the header read leaves it on disk (pydicom defers values this long).
_DEFER_BYTES = 4096
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def dicom_frames(path: str) -> Iterator[tuple[int, Image]]:
    """(frame index from 0, BGR uint8 picture) for each frame of the DICOM file, in order: one
    for a single-frame image, NumberOfFrames for a multi-frame one."""
    from pydicom.pixels.utils import iter_pixels

    header = _header(path)
    name = header.file_meta.TransferSyntaxUID.name
    # A generator (typed as an iterator) whose file stays open until it is exhausted or closed.
    frames = cast(Generator[np.ndarray, None, None], iter_pixels(path))
    try:
        for index in range(_frame_count(header)):
            try:
                picture = _picture(next(frames), header)
            except Exception:  # decoders raise what they like, and their text may hold the path
                raise AssetError(f"DICOM pixel data in {name} could not be decoded") from None
            yield index, picture
    finally:
        frames.close()


def dicom_frame_count(path: str) -> int:
    """How many frames the file holds; AssetError if it is not DICOM or its pixels cannot be read."""
    return _frame_count(_header(path))


def window_to_8bit(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """DICOM's linear VOI window (PS3.3 C.11.2.1.2.1) onto 0..255: values at or below
    center - 0.5 - (width - 1) / 2 go black, those above center - 0.5 + (width - 1) / 2 white,
    and those between linearly in between (none for a width of 1, the narrowest: a threshold)."""
    half = (width - 1.0) / 2
    inside = ((values - (center - 0.5)) / max(width - 1.0, 1e-9) + 0.5) * 255.0
    scaled = np.where(
        values <= center - 0.5 - half, 0.0, np.where(values > center - 0.5 + half, 255.0, inside)
    )
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def stretch_to_8bit(values: np.ndarray) -> np.ndarray:
    """The frame's own range onto 0..255, for a file that names no window; a flat frame is black."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


def _header(path: str) -> Dataset:
    """Every element but the pixel values themselves, after checking that they can be decoded."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        header = pydicom.dcmread(path, defer_size=_DEFER_BYTES)
    except InvalidDicomError:
        raise AssetError("not a DICOM file") from None
    except Exception:  # a truncated or damaged file raises anything from EOFError to ValueError
        raise AssetError("not a readable DICOM file") from None
    if not any(tag in header for tag in _PIXEL_TAGS):
        raise AssetError("a DICOM file without pixel data")
    _check_decoder(header)
    return header


def _check_decoder(header: Dataset) -> None:
    from pydicom.pixels.decoders.base import get_decoder

    syntax = header.file_meta.get("TransferSyntaxUID")
    if syntax is None:
        raise AssetError("a DICOM file without a transfer syntax")
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:  # MPEG and other video syntaxes, private ones
        raise AssetError(f"DICOM pixel data in {syntax.name} cannot be decoded here") from None
    if not decoder.is_available:
        message = f"DICOM pixel data in {syntax.name} cannot be decoded here (no decoder installed)"
        raise AssetError(message)


def _frame_count(header: Dataset) -> int:
    return max(1, int(header.get("NumberOfFrames") or 1))


def _picture(raw: np.ndarray, header: Dataset) -> Image:
    """An 8-bit BGR picture of one decoded frame (YBR_FULL frames arrive converted to RGB)."""
    photometric = str(header.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric == "PALETTE COLOR":
        return _palette(raw, header)
    if raw.ndim == 3:
        return np.ascontiguousarray(_to_8bit(raw, header)[:, :, ::-1])
    grey = _grey(raw, header)
    if photometric == "MONOCHROME1":  # 0 is white in MONOCHROME1
        grey = 255 - grey
    return np.repeat(grey[:, :, None], 3, axis=2)


def _grey(raw: np.ndarray, header: Dataset) -> np.ndarray:
    """Modality LUT, then the file's first window (a file may offer several), else a stretch.

    Enhanced multi-frame files keep rescale and window in functional groups, which this does not
    read: their frames get the stretch, a linear map of stored values like the rescale itself."""
    from pydicom.pixels.processing import apply_modality_lut

    values = apply_modality_lut(raw, header).astype(np.float64)
    center, width = _first(header.get("WindowCenter")), _first(header.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        return stretch_to_8bit(values)
    return window_to_8bit(values, center, width)


def _first(value: Any) -> float | None:
    """A DS element's first value (WindowCenter may be multi-valued); None when absent or not a
    number, so that a damaged window falls back to the stretch rather than failing the asset."""
    if value is not None and not isinstance(value, str | bytes) and hasattr(value, "__len__"):
        value = value[0] if len(value) else None
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _palette(raw: np.ndarray, header: Dataset) -> Image:
    from pydicom.pixels.processing import apply_color_lut

    rgb = apply_color_lut(raw, header)
    if rgb.dtype != np.uint8:  # 16-bit palette entries
        rgb = (rgb >> 8).astype(np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _to_8bit(colour: np.ndarray, header: Dataset) -> np.ndarray:
    """Colour samples as bytes: samples wider than 8 bits keep their top 8."""
    bits = int(header.get("BitsStored", 8))
    if colour.dtype == np.uint8 or bits <= 8:
        return colour.astype(np.uint8)
    return (colour >> (bits - 8)).astype(np.uint8)
