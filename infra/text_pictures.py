"""Pictures of known text for testing OCR, rendered with Pillow: a document page, a street sign and a
turned line. Each comes with the words drawn and where each line's ink went, and is the same on
every run (for one font file and Pillow version).

The font is DejaVu Sans where the machine has it (Debian and Ubuntu's fonts-dejavu-core), else the
scalable font inside Pillow (>= 10.1). Sizes and contrast are chosen for PP-OCRv4 to read them
all: dark on light or white on a saturated colour, glyphs 28 pixels or more tall, single spaces.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")
MARGIN = 4  # pixels of empty tile around a line's ink, so that turning it cuts nothing off

XY = tuple[float, float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class DrawnLine:
    text: str
    corners: tuple[XY, XY, XY, XY]  # the ink's top-left, top-right, bottom-right, bottom-left
    rotation: float  # degrees, clockwise (y points down), as RotatedBox has it

    @property
    def centre(self) -> XY:
        xs, ys = zip(*self.corners, strict=True)
        return sum(xs) / 4, sum(ys) / 4

    @property
    def size(self) -> XY:
        """(width, height) of the ink before it turned."""
        (x0, y0), (x1, y1), _, (x3, y3) = self.corners
        return math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)


@dataclass(frozen=True)
class TextPicture:
    name: str
    image: npt.NDArray[np.uint8]  # H x W x 3, BGR, as a model gets it
    lines: tuple[DrawnLine, ...]

    @property
    def words(self) -> list[str]:
        return [word for line in self.lines for word in line.text.split()]

    def png(self) -> bytes:
        out = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(self.image[:, :, ::-1])).save(out, format="PNG")
        return out.getvalue()


def font(size: int, bold: bool = False) -> Font:
    path = FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def document() -> TextPicture:
    """A white page with six lines of black words."""
    text = (
        "Invoice number 4821 for March",
        "Please pay the amount below",
        "Total due 129 dollars and 50 cents",
        "Shipping address Green Lane 7",
        "Delivery within five working days",
        "Thank you for your order",
    )
    page = Image.new("RGB", (760, 520), "white")
    body = font(30)
    lines = [_draw_line(page, line, body, (50, 40 + 75 * i), "black") for i, line in enumerate(text)]
    return _picture("document", page, lines)


def street_sign() -> TextPicture:
    """White capitals on a green road sign, with a white border, against a grey sky."""
    page = Image.new("RGB", (640, 400), (170, 180, 190))
    ImageDraw.Draw(page).rounded_rectangle((40, 60, 600, 340), radius=24, fill=(0, 106, 77))
    ImageDraw.Draw(page).rounded_rectangle((52, 72, 588, 328), radius=18, outline="white", width=5)
    big = font(56, bold=True)
    lines = [
        _draw_line(page, "MAIN STREET", big, (110, 110), "white"),
        _draw_line(page, "EXIT 12 NORTH", big, (90, 210), "white"),
    ]
    return _picture("street-sign", page, lines)


def rotated_line(rotation: float = 12.0) -> TextPicture:
    """One dark-blue line on a white page, turned `rotation` degrees clockwise."""
    page = Image.new("RGB", (720, 400), "white")
    line = _draw_line(page, "Turned lines are read too", font(36), (60, 80), (20, 30, 90), rotation)
    return _picture("rotated-line", page, [line])


def all_pictures() -> list[TextPicture]:
    return [document(), street_sign(), rotated_line()]


def _draw_line(
    page: Image.Image, text: str, face: Font, left_top: XY, fill: object, rotation: float = 0.0
) -> DrawnLine:
    """Draw `text` turned by `rotation` about its middle, the turned tile's corner at `left_top`."""
    left, top, right, bottom = face.getbbox(text)
    width, height = right - left, bottom - top
    tile = Image.new("L", (int(width) + 2 * MARGIN, int(height) + 2 * MARGIN), 0)
    ImageDraw.Draw(tile).text((MARGIN - left, MARGIN - top), text, fill=255, font=face)
    # Pillow turns counter-clockwise on screen; a clockwise turn is a negative angle to it.
    turned = tile.rotate(-rotation, resample=Image.Resampling.BICUBIC, expand=True)
    x, y = int(left_top[0]), int(left_top[1])
    page.paste(fill, (x, y, x + turned.width, y + turned.height), turned)  # type: ignore[arg-type]

    cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    tile_cx, tile_cy = tile.width / 2, tile.height / 2

    def placed(px: float, py: float) -> XY:  # a tile point -> the page, through the same turn
        dx, dy = px - tile_cx, py - tile_cy
        return x + turned.width / 2 + dx * cos - dy * sin, y + turned.height / 2 + dx * sin + dy * cos

    ink = ((0, 0), (width, 0), (width, height), (0, height))
    corners = tuple(placed(MARGIN + cx, MARGIN + cy) for cx, cy in ink)
    return DrawnLine(text, corners, rotation)  # type: ignore[arg-type]


def _picture(name: str, page: Image.Image, lines: list[DrawnLine]) -> TextPicture:
    bgr = np.ascontiguousarray(np.asarray(page)[:, :, ::-1])
    return TextPicture(name, bgr, tuple(lines))
