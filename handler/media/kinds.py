"""What kind of media an asset is: by its URL's extension first (no download), then by its content.

A project's `type` is not its media (`ango` projects hold images, video, text and the rest side
by side; protocol §12.9), so the kind is decided per asset. The extensions are Hub's supported
file types (Ango docs, data/importing-assets/supported-asset-file-types.md); the content check reads
the first bytes of a download whose URL did not say.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

# "medical" is DICOM (`.dcm`); "nrrd" is a medical volume (`.nrrd`), which no model here reads (no
# well-kept reader fits: pynrrd would bring a volume whole into memory, and Hub imports no volume
# labels that an image model could give), so it is counted apart.
MediaKind = Literal["image", "video", "text", "document", "medical", "nrrd", "audio", "unknown"]

EXTENSIONS: dict[str, MediaKind] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".tif", ".tiff"), "image"),
    **dict.fromkeys((".mp4", ".ogg", ".webm", ".mov"), "video"),
    **dict.fromkeys((".txt", ".md"), "text"),
    ".pdf": "document",
    ".dcm": "medical",
    ".nrrd": "nrrd",
    **dict.fromkeys((".mp3", ".wav"), "audio"),
    # Not in Hub's list, but images our decoder reads, should a storage hold them.
    **dict.fromkeys((".bmp", ".webp", ".gif"), "image"),
}


def kind_of_url(url: str) -> MediaKind:
    """The kind an asset's URL names by its extension; "unknown" when it names none we know."""
    path = unquote(urlsplit(url).path)
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower(), "unknown")


# Leading bytes of each kind's usual containers (offset, bytes).
_SIGNATURES: tuple[tuple[int, bytes, MediaKind], ...] = (
    (0, b"\xff\xd8\xff", "image"),
    (0, b"\x89PNG\r\n\x1a\n", "image"),
    (0, b"II*\x00", "image"),
    (0, b"MM\x00*", "image"),
    (0, b"GIF8", "image"),
    (0, b"BM", "image"),
    (4, b"ftyp", "video"),  # MP4 and QuickTime
    (0, b"\x1a\x45\xdf\xa3", "video"),  # WebM / Matroska
    (0, b"OggS", "video"),
    (0, b"%PDF-", "document"),
    (128, b"DICM", "medical"),
    (0, b"NRRD", "nrrd"),
    (0, b"ID3", "audio"),
    (0, b"\xff\xfb", "audio"),
)


def kind_of_content(head: bytes) -> MediaKind:
    """The kind a file's first bytes show; "unknown" when none matches (text is judged last: valid
    UTF-8 without control bytes)."""
    for offset, signature, kind in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return kind
    if head[:4] == b"RIFF":
        riff: dict[bytes, MediaKind] = {b"WEBP": "image", b"WAVE": "audio"}
        return riff.get(head[8:12], "unknown")
    return "text" if _looks_like_text(head[:4096]) else "unknown"


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end inside a character: try again without its last three bytes.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\n\r\t" for c in text)
