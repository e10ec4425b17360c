"""Generated PDFs and DICOM files with known content, for the emulator's seeds and its import checks.

Nothing is downloaded: pages and slices are the pictures of infra/emulator/pictures.py (the
astronaut's face, which OpenCV's Haar cascade finds), so a face model has something to find on
every page of the demo's PDF and in its DICOM slice. pypdfium2 and pydicom are the product's own
readers (handler/media/pdf.py, handler/media/dicom.py); the emulator uses them to count pages and
frames the way Hub would show them.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from infra.emulator import pictures

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

# A picture's pixel becomes a point on its page: Hub measures a PDF page in points (72 a inch).
PDF_RESOLUTION = 72.0
# DICOM UIDs of the demo's files derive from this root and their content, so that the same seed
# gives the same bytes (pydicom's own root is for examples, which these are).
_UID_ENTROPY = "ango-batch-emulator"


def pdf_of_pictures(pages: Sequence[np.ndarray]) -> bytes:
    """A PDF with one page a picture (BGR uint8, as OpenCV holds them), each page the picture's size
    in pixels taken as points. Pillow writes each page's image as JPEG inside the PDF."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    rgb = [Image.fromarray(np.ascontiguousarray(_as_bgr(page)[:, :, ::-1])) for page in pages]
    out = io.BytesIO()
    rgb[0].save(out, format="PDF", save_all=True, append_images=rgb[1:], resolution=PDF_RESOLUTION)
    return out.getvalue()


@functools.cache
def two_page_pdf() -> bytes:
    """The demo's PDF: two different crops of the astronaut, one frontal face on each page: her
    head and shoulders (400 x 300 points), then her face, mirrored (284 x 256). The full photograph
    is not used: at scale 2 the cascade also "finds" a small face in her suit's patches."""
    variants = dict(pictures.astronaut_variants())
    top_left = _bgr_of(variants["crop-top-left"])
    face = _bgr_of(variants["crop-face"][:, ::-1])
    return pdf_of_pictures([top_left, face])


def pdf_page_count(content: bytes) -> int:
    """How many pages a PDF holds, as PDFium counts them; pypdfium2.PdfiumError if it is none."""
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    try:
        return len(document)
    finally:
        document.close()


def pdf_page_sizes(content: bytes) -> list[tuple[float, float]]:
    """(width, height) of each page in points, as displayed (after each page's own rotation)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    try:
        sizes: list[tuple[float, float]] = []
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            sizes.append((float(width), float(height)))
            page.close()
        return sizes
    finally:
        document.close()


def dicom_of_picture(
    grey: np.ndarray,
    *,
    window: tuple[float, float] | None = None,
    monochrome1: bool = False,
    rescale: tuple[float, float] = (1.0, 0.0),
    bits_stored: int = 16,
) -> bytes:
    """A single-frame Secondary Capture DICOM file holding `grey` (H x W) as unsigned stored values
    of `bits_stored` bits in 16-bit words, explicit VR little endian, MONOCHROME2 (or MONOCHROME1,
    where the reader must invert). `rescale` is (RescaleSlope, RescaleIntercept), the Modality LUT
    that maps stored values to output units; `window` is (WindowCenter, WindowWidth) in those units."""
    from pydicom.uid import SecondaryCaptureImageStorage

    pixels = _stored(grey, bits_stored)
    ds = _dataset(SecondaryCaptureImageStorage, pixels, monochrome1, bits_stored)
    ds.RescaleSlope, ds.RescaleIntercept = f"{rescale[0]:g}", f"{rescale[1]:g}"
    ds.RescaleType = "US"  # unspecified units: a secondary capture has no Hounsfield scale
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = f"{window[0]:g}", f"{window[1]:g}"
    return _write(ds)


def multiframe_dicom(frames: Sequence[np.ndarray]) -> bytes:
    """A multi-frame grey DICOM file (Multi-frame Grayscale Word Secondary Capture): the frames
    (H x W each, all one size, values 0..65535) in order, 16 bits stored, NumberOfFrames set, no
    window and no Modality LUT."""
    from pydicom.uid import MultiFrameGrayscaleWordSecondaryCaptureImageStorage

    if not frames:
        raise ValueError("a multi-frame DICOM file needs at least one frame")
    stack = np.stack([_stored(frame, 16) for frame in frames])
    return _write(_dataset(MultiFrameGrayscaleWordSecondaryCaptureImageStorage, stack, False, 16))


# The demo slice: the face's grey levels 0..255 land on stored values 1000..3040 of a 12-bit range,
# in a frame of 0 (left) and 4095 (right), so a min-max stretch leaves the face dull while the
# window (in rescaled units: stored - 1024, as a CT's Hounsfield units) spreads it over 0..255.
SLICE_RESCALE = (1.0, -1024.0)
SLICE_FACE_STORED = (1000, 3040)
SLICE_WINDOW = (
    (SLICE_FACE_STORED[0] + SLICE_FACE_STORED[1]) / 2 + SLICE_RESCALE[1],
    float(SLICE_FACE_STORED[1] - SLICE_FACE_STORED[0]),
)


@functools.cache
def dicom_slice() -> bytes:
    """The demo's DICOM slice: the astronaut's face (grey, 256 x 256) in a 320 x 256 frame, 12-bit
    values with a Modality LUT and a window (see SLICE_WINDOW), so that windowing matters."""
    rgb = pictures.photo("astronaut", max_side=512)[0:256, 100:356]
    grey = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.int64)  # room for the product below
    low, high = SLICE_FACE_STORED
    stored = np.zeros((256, 320), dtype=np.uint16)
    stored[:, 32:288] = low + grey * (high - low) // 255
    stored[:, 288:] = 4095
    return dicom_of_picture(stored, window=SLICE_WINDOW, rescale=SLICE_RESCALE, bits_stored=12)


def dicom_frame_count(content: bytes) -> int:
    """NumberOfFrames, 1 where the file does not say (a single-frame image); pydicom's
    InvalidDicomError if the content is not DICOM."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(content), stop_before_pixels=True)
    return int(ds.get("NumberOfFrames") or 1)


def _dataset(sop_class: str, pixels: np.ndarray, monochrome1: bool, bits_stored: int) -> Dataset:
    """The modules a Secondary Capture image needs (patient, study, series, equipment, image),
    with `pixels` (frame or frames) as native 16-bit data."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.PatientName, ds.PatientID, ds.Modality = "Demo^Astronaut", "DEMO-1", "OT"
    ds.ConversionType = "WSD"  # workstation: a picture made into DICOM, not a scan
    photometric = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.set_pixel_data(pixels, photometric, bits_stored, generate_instance_uid=False)  # _write sets it
    return ds


def _write(ds: Dataset) -> bytes:
    """The file as a disk would hold it: 128-byte preamble, "DICM", file meta, then the dataset.
    Its UIDs derive from its content: the same picture and options give the same bytes."""
    import pydicom
    from pydicom.uid import generate_uid

    digest = hashlib.sha256(str(ds).encode() + ds.PixelData).hexdigest()
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        setattr(ds, keyword, generate_uid(entropy_srcs=[_UID_ENTROPY, digest, keyword]))
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def _stored(grey: np.ndarray, bits_stored: int) -> np.ndarray:
    if grey.ndim != 2:
        raise ValueError(f"a grey picture is H x W, not {grey.shape}")
    if grey.size and (grey.min() < 0 or grey.max() >= 1 << bits_stored):
        raise ValueError(f"grey values must lie in 0..{(1 << bits_stored) - 1}")
    return np.ascontiguousarray(grey, dtype=np.uint16)


def _as_bgr(picture: np.ndarray) -> np.ndarray:
    return np.repeat(picture[:, :, None], 3, axis=2) if picture.ndim == 2 else picture


def _bgr_of(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])
