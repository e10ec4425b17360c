"""PDFs: pages rendered in order at a scale, on white, shrunk to a pixel budget, and files that cannot
be read refused with a reason that does not name the file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from handler.assets import AssetError
from handler.media.pdf import fitting_scale, pdf_page_count, pdf_pages
from infra.emulator.documents import pdf_of_pictures

pytestmark = pytest.mark.unit

RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR
SECRET = "patient-4711-secret"  # in every file name here: it must never reach a message


def _flat(width: int, height: int, bgr: tuple[int, int, int]) -> np.ndarray:
    return np.full((height, width, 3), bgr, dtype=np.uint8)


@pytest.fixture
def red_then_blue(tmp_path: Path) -> str:
    path = tmp_path / f"{SECRET}.pdf"
    path.write_bytes(pdf_of_pictures([_flat(150, 100, RED), _flat(60, 80, BLUE)]))
    return str(path)


def _blank_pdf(tmp_path: Path, sizes: list[tuple[float, float]], rotate: int = 0) -> str:
    """A PDF of empty pages (pypdfium2 writes it), each optionally turned by its /Rotate."""
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for width, height in sizes:
        page = document.new_page(width, height)
        page.set_rotation(rotate)
        page.close()
    out = io.BytesIO()
    document.save(out)
    document.close()
    path = tmp_path / f"{SECRET}-blank.pdf"
    path.write_bytes(out.getvalue())
    return str(path)


def test_pages_come_in_order_at_72_dpi_times_the_scale(red_then_blue: str) -> None:
    assert pdf_page_count(red_then_blue) == 2
    pages = list(pdf_pages(red_then_blue, 1.0))
    assert [index for index, _ in pages] == [0, 1]
    assert [image.shape for _, image in pages] == [(100, 150, 3), (80, 60, 3)]
    assert all(image.dtype == np.uint8 and image.flags.c_contiguous for _, image in pages)
    doubled = [image.shape for _, image in pdf_pages(red_then_blue, 2.0)]
    assert doubled == [(200, 300, 3), (160, 120, 3)]


def test_colours_come_out_in_bgr(red_then_blue: str) -> None:
    (_, red), (_, blue) = pdf_pages(red_then_blue, 1.0)
    # The pictures are JPEG inside the PDF: near, not exactly, the colours put in.
    assert np.abs(red.reshape(-1, 3).mean(axis=0) - RED).max() < 8
    assert np.abs(blue.reshape(-1, 3).mean(axis=0) - BLUE).max() < 8


def test_an_empty_page_renders_white_without_alpha(tmp_path: Path) -> None:
    ((index, page),) = pdf_pages(_blank_pdf(tmp_path, [(100, 50)]), 1.0)
    assert index == 0 and page.shape == (50, 100, 3)
    assert (page == 255).all()


def test_a_rotated_page_renders_as_displayed(tmp_path: Path) -> None:
    ((_, page),) = pdf_pages(_blank_pdf(tmp_path, [(100, 50)], rotate=90), 2.0)
    assert page.shape == (200, 100, 3)


def test_a_page_over_the_pixel_budget_is_rendered_smaller_to_fit(red_then_blue: str) -> None:
    (_, big), (_, small) = pdf_pages(red_then_blue, 2.0, max_pixels=20_000)
    height, width = big.shape[:2]
    assert height * width <= 20_000 and height * width > 0.9 * 20_000  # shrunk, not more than needed
    assert abs(width / height - 1.5) < 0.02  # the page's proportions kept
    assert small.shape == (160, 120, 3)  # 19 200 pixels: within the budget, at the asked scale
    assert np.abs(big.reshape(-1, 3).mean(axis=0) - RED).max() < 8


@pytest.mark.parametrize(("width", "height"), [(150.0, 100.0), (612.0, 792.0), (1.0, 5000.0), (33.3, 77.7)])
@pytest.mark.parametrize("max_pixels", [1_000, 20_000, 1_000_003])
def test_the_fitting_scale_never_exceeds_the_budget_after_rounding_up(
    width: float, height: float, max_pixels: int
) -> None:
    import math

    scale = fitting_scale(width, height, 10.0, max_pixels)
    assert math.ceil(width * scale) * math.ceil(height * scale) <= max_pixels
    assert fitting_scale(width, height, 0.001, max_pixels) == 0.001  # within budget: as asked


@pytest.mark.parametrize(
    "content",
    [b"not a pdf at all", b"%PDF-1.7\n1 0 obj<<>>endobj\n", b""],
    ids=["garbage", "header-only", "empty"],
)
def test_a_file_that_is_not_a_pdf_is_an_asset_error_without_its_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / f"{SECRET}.pdf"
    path.write_bytes(content)
    with pytest.raises(AssetError, match=r"^not a readable PDF: damaged or not a PDF$") as caught:
        list(pdf_pages(str(path), 1.0))
    assert SECRET not in str(caught.value)
    with pytest.raises(AssetError, match="not a readable PDF"):
        pdf_page_count(str(path))


@pytest.mark.parametrize("kept", [1 / 3, 0.95])
def test_a_truncated_pdf_is_an_asset_error_without_its_path(tmp_path: Path, kept: float) -> None:
    content = pdf_of_pictures([_flat(150, 100, RED), _flat(60, 80, BLUE)])
    path = tmp_path / f"{SECRET}.pdf"
    path.write_bytes(content[: int(len(content) * kept)])  # the cross-reference table is lost
    with pytest.raises(AssetError, match=r"^not a readable PDF: damaged or not a PDF$") as caught:
        list(pdf_pages(str(path), 1.0))
    assert SECRET not in str(caught.value)


def _password_protected(tmp_path: Path) -> str:
    content = pdf_of_pictures([_flat(40, 30, RED)])
    # A standard security handler with a user password: PDFium's empty-password try fails.
    encrypt = b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>\n/ID [<%s> <%s>]\n" % (
        b"11" * 32,
        b"22" * 32,
        b"33" * 16,
        b"33" * 16,
    )
    path = tmp_path / f"{SECRET}-locked.pdf"
    path.write_bytes(content.replace(b"trailer\n<<\n", b"trailer\n<<\n" + encrypt, 1))
    assert b"/Encrypt" in path.read_bytes()
    return str(path)


def test_a_password_protected_pdf_says_so(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match=r"^not a readable PDF: it is password-protected$"):
        list(pdf_pages(_password_protected(tmp_path), 1.0))


def test_a_pdf_without_pages_says_so_even_after_another_failure(tmp_path: Path) -> None:
    """PDFium opens a page tree of /Count 0 without setting an error code; pypdfium2's constructor
    would report the code the encrypted file left behind ("password-protected")."""
    with pytest.raises(AssetError, match="password-protected"):
        pdf_page_count(_password_protected(tmp_path))
    path = _blank_pdf(tmp_path, [])
    with pytest.raises(AssetError, match=r"^a PDF without pages$"):
        list(pdf_pages(path, 1.0))
    with pytest.raises(AssetError, match=r"^a PDF without pages$"):
        pdf_page_count(path)
