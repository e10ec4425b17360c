"""Text assets (`.txt`, `.md`) as a text model reads them: the whole file, decoded as UTF-8."""

from __future__ import annotations

from handler.assets import AssetError, AssetNotReadError
from handler.media.kinds import kind_of_content


def decode_text(data: bytes) -> str:
    """The file's text; a file whose content is other media is not read (counted by its kind), one
    that is not UTF-8 fails with the reason. A byte-order mark is not part of the text."""
    kind = kind_of_content(data[:4096])
    if kind not in ("text", "unknown"):
        raise AssetNotReadError(kind)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AssetError(f"not UTF-8 text: byte {exc.start} cannot be decoded") from None


def text_size(text: str) -> tuple[int, int]:
    """A text as the outputs measure it: a row of its characters (handler/outputs/geometry.py)."""
    return len(text), 1
