"""DICOM: frames rescaled and windowed to 8 bits as a viewer shows them, colour turned to BGR, frames
decoded one at a time in order, and files that cannot be read refused with a reason that does not
name the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000, UID, JPEG2000Lossless, JPEGLosslessSV1, RLELossless

from handler.assets import AssetError
from handler.media.dicom import dicom_frame_count, dicom_frames, window_to_8bit
from infra.emulator.documents import dicom_of_picture, multiframe_dicom

pytestmark = pytest.mark.unit

SECRET = "patient-4711-secret"  # in every file name here: it must never reach a message
RAMP = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)  # 0..4095, every 12-bit value once
STRETCHED_RAMP = RAMP.astype(np.float64) * 255 / 4095


def _file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / f"{SECRET}.dcm"
    path.write_bytes(content)
    return str(path)


def _only_frame(path: str) -> np.ndarray:
    ((index, frame),) = dicom_frames(path)
    assert index == 0 and frame.dtype == np.uint8 and frame.shape[2] == 3
    return frame


def _grey(frame: np.ndarray) -> np.ndarray:
    assert (frame[:, :, 0] == frame[:, :, 1]).all() and (frame[:, :, 1] == frame[:, :, 2]).all()
    return frame[:, :, 0].astype(np.int64)


def _linear_window(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 as written, with y from 0 to 255."""
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    inside = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
    return np.where(x <= low, 0.0, np.where(x > high, 255.0, inside))


def _rewritten(content: bytes, **elements: Any) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(content))
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _encapsulated(syntax: UID, fragments: list[bytes], **elements: Any) -> bytes:
    """A copy of a 16-bit ramp file whose pixel data is `fragments`, encapsulated under `syntax`."""
    ds = pydicom.dcmread(io.BytesIO(dicom_of_picture(RAMP)))
    ds.file_meta.TransferSyntaxUID = syntax
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_a_window_applies_to_rescaled_values_as_the_standard_says(tmp_path: Path) -> None:
    slope, intercept, center, width = 2.0, -1000.0, 1500.0, 3001.0
    content = dicom_of_picture(RAMP, window=(center, width), rescale=(slope, intercept))
    grey = _grey(_only_frame(_file(tmp_path, content)))
    expected = _linear_window(RAMP * slope + intercept, center, width)
    assert np.abs(grey - expected).max() <= 1
    # The ramp reaches both ends, and the window's edges are where the standard puts them.
    assert grey.min() == 0 and grey.max() == 255
    assert (grey[RAMP * slope + intercept <= 0] == 0).all() and (
        grey[RAMP * slope + intercept > 3000] == 255
    ).all()


def test_monochrome1_is_inverted(tmp_path: Path) -> None:
    window = (2000.0, 1000.0)
    normal = _grey(_only_frame(_file(tmp_path, dicom_of_picture(RAMP, window=window))))
    inverted = _grey(_only_frame(_file(tmp_path, dicom_of_picture(RAMP, window=window, monochrome1=True))))
    assert (inverted == 255 - normal).all()
    assert inverted[0, 0] == 255 and inverted[-1, -1] == 0  # low values are white in MONOCHROME1


def test_without_a_window_the_frame_is_stretched_over_its_own_range(tmp_path: Path) -> None:
    picture = (RAMP // 4 + 700).astype(np.uint16)  # 700..1723: neither end near 0 or 4095
    grey = _grey(_only_frame(_file(tmp_path, dicom_of_picture(picture, rescale=(1.0, -1024.0)))))
    expected = (picture.astype(np.float64) - 700) * 255 / 1023
    assert np.abs(grey - expected).max() <= 1


def test_the_first_of_several_windows_is_used(tmp_path: Path) -> None:
    content = _rewritten(dicom_of_picture(RAMP), WindowCenter=[1000, 3000], WindowWidth=[500, 4000])
    grey = _grey(_only_frame(_file(tmp_path, content)))
    assert np.abs(grey - _linear_window(RAMP.astype(np.float64), 1000, 500)).max() <= 1


def test_a_window_of_no_width_falls_back_to_the_stretch(tmp_path: Path) -> None:
    content = _rewritten(dicom_of_picture(RAMP), WindowCenter="1000", WindowWidth="0")
    grey = _grey(_only_frame(_file(tmp_path, content)))
    assert np.abs(grey - STRETCHED_RAMP).max() <= 1


def test_window_edges() -> None:
    values = np.array([94.0, 94.5, 95.0, 99.5, 104.5, 105.0])
    assert window_to_8bit(values, 100, 11).tolist() == [0, 0, 13, 128, 255, 255]
    assert window_to_8bit(np.array([99.0, 99.5, 100.0]), 100, 1).tolist() == [0, 0, 255]  # a threshold


def test_multiframe_frames_come_one_by_one_in_order(tmp_path: Path) -> None:
    frames = []
    for n in range(5):
        frame = np.zeros((16, 40), dtype=np.uint16)
        frame[4:12, 8 * n : 8 * n + 8] = 1000 + n  # a bright square that walks right
        frames.append(frame)
    path = _file(tmp_path, multiframe_dicom(frames))
    assert dicom_frame_count(path) == 5
    decoded = list(dicom_frames(path))
    assert [index for index, _ in decoded] == [0, 1, 2, 3, 4]
    for n, (_, picture) in enumerate(decoded):
        grey = _grey(picture)
        assert grey.shape == (16, 40)
        assert (grey[4:12, 8 * n : 8 * n + 8] == 255).all() and grey.sum() == 255 * 64


def test_a_single_frame_file_counts_one(tmp_path: Path) -> None:
    assert dicom_frame_count(_file(tmp_path, dicom_of_picture(RAMP))) == 1


@pytest.mark.parametrize("photometric", ["RGB", "YBR_FULL"])
def test_colour_frames_come_out_in_bgr(tmp_path: Path, photometric: str) -> None:
    from pydicom.pixels.processing import convert_color_space

    rgb = np.zeros((8, 12, 3), dtype=np.uint8)
    rgb[:, :6] = (255, 0, 0)  # red left half
    rgb[:, 6:] = (0, 0, 255)  # blue right half
    stored = rgb if photometric == "RGB" else convert_color_space(rgb, "RGB", "YBR_FULL")
    ds = pydicom.dcmread(io.BytesIO(dicom_of_picture(RAMP)))
    ds.set_pixel_data(stored, photometric_interpretation=photometric, bits_stored=8)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    frame = _only_frame(_file(tmp_path, out.getvalue()))
    assert np.abs(frame[:, :6].astype(int) - (0, 0, 255)).max() <= 2
    assert np.abs(frame[:, 6:].astype(int) - (255, 0, 0)).max() <= 2


@pytest.mark.parametrize(
    "content",
    [b"not dicom at all" * 20, b"\x89PNG\r\n\x1a\n" + bytes(300), b""],
    ids=["garbage", "png", "empty"],
)
def test_a_file_that_is_not_dicom_is_an_asset_error_without_its_path(tmp_path: Path, content: bytes) -> None:
    path = _file(tmp_path, content)
    with pytest.raises(AssetError, match=r"^not a DICOM file$") as caught:
        list(dicom_frames(path))
    assert SECRET not in str(caught.value)
    with pytest.raises(AssetError, match=r"^not a DICOM file$"):
        dicom_frame_count(path)


def test_a_truncated_file_is_an_asset_error_without_its_path(tmp_path: Path) -> None:
    content = dicom_of_picture(RAMP)
    path = _file(tmp_path, content[: len(content) - 1000])  # pixel data cut short
    with pytest.raises(AssetError, match="DICOM") as caught:
        list(dicom_frames(path))
    assert SECRET not in str(caught.value)


def test_a_file_without_pixel_data_says_so(tmp_path: Path) -> None:
    ds = pydicom.dcmread(io.BytesIO(dicom_of_picture(RAMP)))
    del ds.PixelData
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    with pytest.raises(AssetError, match=r"^a DICOM file without pixel data$"):
        list(dicom_frames(_file(tmp_path, out.getvalue())))


def test_a_syntax_without_an_installed_decoder_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, _encapsulated(JPEGLosslessSV1, [b"\xff\xd8" + bytes(64)]))
    expected = f"DICOM pixel data in {JPEGLosslessSV1.name} cannot be decoded here (no decoder installed)"
    with pytest.raises(AssetError) as caught:
        list(dicom_frames(path))
    assert str(caught.value) == expected
    with pytest.raises(AssetError, match="no decoder installed"):
        dicom_frame_count(path)


def test_jpeg_2000_data_that_does_not_decode_is_named(tmp_path: Path) -> None:
    """Pillow decodes JPEG 2000 for pydicom, so the syntax is readable, and these bytes are not."""
    path = _file(tmp_path, _encapsulated(JPEG2000, [bytes(64)]))
    with pytest.raises(AssetError) as caught:
        list(dicom_frames(path))
    assert str(caught.value) == "DICOM pixel data in JPEG 2000 Image Compression could not be decoded"


def test_jpeg_2000_and_rle_decode_without_extra_plugins(tmp_path: Path) -> None:
    picture = (RAMP % 256).astype(np.uint8)
    codestream = io.BytesIO()
    Image.fromarray(picture).save(codestream, format="JPEG2000", no_jp2=True, irreversible=False)
    elements = {"BitsAllocated": 8, "BitsStored": 8, "HighBit": 7}
    j2k = _file(tmp_path, _encapsulated(JPEG2000Lossless, [codestream.getvalue()], **elements))
    assert (_grey(_only_frame(j2k)) == picture).all()  # 0..255 stretched over 0..255: unchanged

    ds = pydicom.dcmread(io.BytesIO(dicom_of_picture(RAMP, window=(2047.5, 4096))))
    ds.compress(RLELossless)  # pydicom's own RLE encoder
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    rle = (tmp_path / "rle.dcm").resolve()
    rle.write_bytes(out.getvalue())
    assert np.abs(_grey(_only_frame(str(rle))) - STRETCHED_RAMP).max() <= 1


def test_palette_colour_frames_go_through_their_lookup_table(tmp_path: Path) -> None:
    ds = pydicom.dcmread(io.BytesIO(dicom_of_picture(RAMP)))
    indices = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    ds.set_pixel_data(indices, photometric_interpretation="PALETTE COLOR", bits_stored=8)
    # Four 16-bit entries per channel: index 0 red, 1 green, 2 blue, 3 white.
    for channel, entries in (
        ("Red", [65535, 0, 0, 65535]),
        ("Green", [0, 65535, 0, 65535]),
        ("Blue", [0, 0, 65535, 65535]),
    ):
        setattr(ds, f"{channel}PaletteColorLookupTableDescriptor", [4, 0, 16])
        ds[f"{channel}PaletteColorLookupTableDescriptor"].VR = "US"  # 'US or SS' cannot be written
        setattr(ds, f"{channel}PaletteColorLookupTableData", np.array(entries, dtype="<u2").tobytes())
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    frame = _only_frame(_file(tmp_path, out.getvalue()))
    assert frame.tolist() == [[[0, 0, 255], [0, 255, 0]], [[255, 0, 0], [255, 255, 255]]]
