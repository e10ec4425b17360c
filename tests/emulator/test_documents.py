"""The emulator's generated PDFs and DICOM files: their counts and sizes, the sniffed kind, and the
faces a Haar cascade must find on each page and in the slice, read by the product's own readers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest

from handler.contract.model import Image, PredictContext
from handler.media.dicom import dicom_frames, stretch_to_8bit
from handler.media.kinds import kind_of_content
from handler.media.pdf import pdf_pages
from handler.models.haar import HaarFaceDetector
from handler.models.specs import HaarConfig
from infra.emulator import documents as d

pytestmark = pytest.mark.unit


def _faces(image: Image) -> int:
    (predictions,) = HaarFaceDetector().predict([image], PredictContext(HaarConfig()))
    return len(predictions)


def test_a_pdf_of_pictures_has_a_page_per_picture_sized_in_points() -> None:
    grey = np.zeros((30, 40), dtype=np.uint8)
    colour = np.zeros((200, 100, 3), dtype=np.uint8)
    content = d.pdf_of_pictures([grey, colour, grey])
    assert kind_of_content(content[:4096]) == "document"
    assert d.pdf_page_count(content) == 3
    assert d.pdf_page_sizes(content) == [(40.0, 30.0), (100.0, 200.0), (40.0, 30.0)]
    with pytest.raises(ValueError, match="at least one page"):
        d.pdf_of_pictures([])


def test_the_demo_pdf_has_two_different_pages() -> None:
    content = d.two_page_pdf()
    assert d.pdf_page_count(content) == 2
    assert d.pdf_page_sizes(content) == [(400.0, 300.0), (284.0, 256.0)]


def test_haar_finds_a_face_on_each_page_of_the_demo_pdf_at_scale_2(tmp_path: Path) -> None:
    path = tmp_path / "two-pages.pdf"
    path.write_bytes(d.two_page_pdf())
    pages = list(pdf_pages(str(path), 2.0))
    assert [(index, page.shape) for index, page in pages] == [(0, (600, 800, 3)), (1, (512, 568, 3))]
    assert [_faces(page) for _, page in pages] == [1, 1]
    assert not np.array_equal(pages[0][1][:256, :284], pages[1][1][:256, :284])  # two pictures, not one


def test_the_demo_slice_is_12_bit_dicom_with_a_window() -> None:
    content = d.dicom_slice()
    assert content[128:132] == b"DICM" and kind_of_content(content[:4096]) == "medical"
    assert d.dicom_frame_count(content) == 1
    ds = pydicom.dcmread(io.BytesIO(content))
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert (ds.BitsAllocated, ds.BitsStored, ds.PhotometricInterpretation) == (16, 12, "MONOCHROME2")
    assert ds.pixel_array.max() == 4095 and ds.pixel_array.min() == 0
    assert (float(ds.WindowCenter), float(ds.WindowWidth)) == d.SLICE_WINDOW
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == d.SLICE_RESCALE


def test_windowing_matters_in_the_demo_slice_and_haar_finds_its_face(tmp_path: Path) -> None:
    path = tmp_path / "slice.dcm"
    path.write_bytes(d.dicom_slice())
    ((_, windowed),) = dicom_frames(str(path))
    assert windowed.shape == (256, 320, 3)
    face = windowed[:, 32:288, 0]
    assert face.min() == 0 and face.max() == 255  # the window spreads the face over all 256 levels
    stretched = stretch_to_8bit(pydicom.dcmread(path).pixel_array.astype(np.float64))[:, 32:288]
    assert stretched.max() - stretched.min() < 140  # the frame's own range would leave it dull
    assert _faces(windowed) == 1


def test_a_dicom_of_a_picture_keeps_its_values_and_options() -> None:
    grey = np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000
    content = d.dicom_of_picture(grey, window=(40.0, 400.0), monochrome1=True, rescale=(2.0, -5.0))
    ds = pydicom.dcmread(io.BytesIO(content))
    assert (ds.pixel_array == grey).all()
    assert ds.PhotometricInterpretation == "MONOCHROME1" and "NumberOfFrames" not in ds
    assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (40.0, 400.0)
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (2.0, -5.0)
    plain = pydicom.dcmread(io.BytesIO(d.dicom_of_picture(grey)))
    assert plain.PhotometricInterpretation == "MONOCHROME2" and "WindowCenter" not in plain
    assert d.dicom_of_picture(grey) == d.dicom_of_picture(grey)  # same picture, same bytes (and UIDs)
    with pytest.raises(ValueError, match=r"0\.\.4095"):
        d.dicom_of_picture(grey * 10, bits_stored=12)
    with pytest.raises(ValueError, match="H x W"):
        d.dicom_of_picture(np.zeros((2, 2, 3), dtype=np.uint16))


def test_a_multiframe_dicom_holds_its_frames_in_order() -> None:
    frames = [np.full((5, 7), 100 * n, dtype=np.uint16) for n in range(4)]
    content = d.multiframe_dicom(frames)
    assert d.dicom_frame_count(content) == 4
    ds = pydicom.dcmread(io.BytesIO(content))
    assert ds.pixel_array.shape == (4, 5, 7)
    assert [int(frame[0, 0]) for frame in ds.pixel_array] == [0, 100, 200, 300]
    with pytest.raises(ValueError, match="at least one frame"):
        d.multiframe_dicom([])
