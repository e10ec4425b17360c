"""PDF assets as an image model reads them: each page rendered to a BGR picture, one page at a time.

Hub shows a PDF page by page, so a model sees it page by page too. PDFium (through pypdfium2) does
the rendering: it is the renderer Chrome uses, ships as a self-contained wheel, and opens a file
from disk without reading it whole. Only the page being rendered is ever in memory.

pypdfium2 is imported inside the functions: the listener imports handler modules and stays light.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from handler.assets import AssetError
from handler.contract.model import Image

if TYPE_CHECKING:
    import pypdfium2

DEFAULT_MAX_PIXELS = 50_000_000  # as handler/contract/settings.py's max_image_pixels
_WHITE = (255, 255, 255, 255)

# PDFium's load errors (fpdfview.h FPDF_ERR_*) that deserve their own words; the rest are "damaged".
_LOAD_REASONS = {4: "it is password-protected", 5: "its encryption is not supported"}


def pdf_pages(
    path: str, scale: float, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Iterator[tuple[int, Image]]:
    """(page index from 0, BGR uint8 picture of the page) for each page, in order, on white.

    `scale` 1.0 renders at 72 dpi (a pixel per point). A page whose picture would hold more than
    `max_pixels` pixels at `scale` is rendered at the smaller scale that fits, so its picture is
    smaller than its neighbours' rather than refused: a poster-sized page is still worth reading."""
    document = _open(path)
    try:
        for index in range(len(document)):
            yield index, _render(document, index, scale, max_pixels)
    finally:
        document.close()


def pdf_page_count(path: str) -> int:
    """How many pages the PDF holds; AssetError if it cannot be opened or has none."""
    document = _open(path)
    try:
        return len(document)
    finally:
        document.close()


def fitting_scale(width: float, height: float, scale: float, max_pixels: int) -> float:
    """`scale`, or the largest smaller one at which a `width` x `height`-point page renders to at
    most `max_pixels` pixels. PDFium rounds each side up, so a side may gain one pixel: the bound
    solves (width * s + 1) * (height * s + 1) <= max_pixels for s."""
    if math.ceil(width * scale) * math.ceil(height * scale) <= max_pixels:
        return scale
    area, perimeter = width * height, width + height
    return (math.sqrt(perimeter**2 + 4 * area * (max_pixels - 1)) - perimeter) / (2 * area)


def _open(path: str) -> pypdfium2.PdfDocument:
    """The document, opened through PDFium's own call: pypdfium2's constructor raises for a PDF
    without pages with whatever error code an earlier failure left behind (PDFium sets none then),
    which would call a page-less PDF password-protected after an encrypted one."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    handle = pdfium_c.FPDF_LoadDocument(path.encode("utf-8") + b"\x00", None)
    if not handle:
        # PDFium's error code alone gives the reason: no library text, which could name the file.
        reason = _LOAD_REASONS.get(pdfium_c.FPDF_GetLastError(), "damaged or not a PDF")
        raise AssetError(f"not a readable PDF: {reason}")
    if pdfium_c.FPDF_GetPageCount(handle) < 1:
        pdfium_c.FPDF_CloseDocument(handle)
        raise AssetError("a PDF without pages")
    return pypdfium2.PdfDocument(handle)


def _render(document: pypdfium2.PdfDocument, index: int, scale: float, max_pixels: int) -> Image:
    import pypdfium2

    page = document[index]
    try:
        width, height = page.get_size()  # points, after the page's own rotation
        bitmap = page.render(scale=fitting_scale(width, height, scale, max_pixels), fill_color=_WHITE)
        try:
            return _bgr(bitmap.to_numpy())
        finally:
            bitmap.close()
    except (pypdfium2.PdfiumError, ValueError):  # ValueError: a page less than a pixel wide
        raise AssetError(f"not a readable PDF: page {index + 1} could not be rendered") from None
    finally:
        page.close()


def _bgr(pixels: Any) -> Image:
    """A copy, since the bitmap's buffer is freed on close. An opaque white fill makes PDFium render
    straight to BGR; were it to choose BGRx, the slice drops the padding byte."""
    return np.array(pixels[:, :, :3], dtype=np.uint8, order="C")
