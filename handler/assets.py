"""Downloading and decoding assets, with per-asset failures kept as short, sanitised reasons.

Asset URLs are user input: every hop of a download goes only to a checked address (see
`url_guard`), the body is capped while it streams, and an image's declared size is checked
before it is decoded. Reasons never include a URL's path or query (signed URLs carry credentials).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, TypeVar
from urllib.parse import urljoin

import cv2
import numpy as np
import urllib3

from handler.contract.messages import AssetRef
from handler.contract.model import EncodedImage, Image
from handler.contract.settings import Settings
from handler.image_header import UnsupportedImageError, declared_size
from handler.media.kinds import kind_of_content
from handler.pinned_http import PinnedHttp
from handler.url_guard import AddressPolicy, Target, UrlRefused

logger = logging.getLogger(__name__)
T = TypeVar("T")
_CHUNK = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_BYTES: int = Settings.default("max_asset_bytes")
DEFAULT_MAX_PIXELS: int = Settings.default("max_image_pixels")
MAX_REDIRECTS = 5


class AssetError(Exception):
    """This one asset cannot be used; the message is safe to show to the user."""


class AssetNotReadError(AssetError):
    """Its content is media the model does not read (a video behind a URL without an extension)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"its content is {kind}, which this model does not read")
        self.kind = kind


class AssetDeniedError(AssetError):
    """The storage answered 401 or 403: a private URL, which Hub may sign for us."""


@dataclass(frozen=True)
class AssetFetcher:
    policy: AddressPolicy
    http: PinnedHttp
    timeout: float = Settings.default("ango_timeout_seconds")
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def from_settings(cls, settings: Settings) -> AssetFetcher:
        return cls(
            policy=AddressPolicy(settings.asset_networks()),
            http=PinnedHttp(pool_size=settings.http_pool_size()),
            timeout=settings.ango_timeout_seconds,
            max_bytes=settings.max_asset_bytes,
            max_pixels=settings.max_image_pixels,
        )

    def fetch_image(self, asset: AssetRef) -> Image:
        return decode_image(self.download(asset.data_url), self.max_pixels)

    def decode(self, data: bytes) -> Image:
        return decode_image(data, self.max_pixels)

    def keep_or_decode(self, data: bytes, formats: frozenset[str]) -> Image | EncodedImage:
        return kept_or_decoded(data, formats, self.max_pixels)

    def download(self, url: str) -> bytes:
        """The body of url, following at most `max_redirects` redirects, each hop checked anew."""
        return self._follow(url, self._read_capped)

    def download_to(self, url: str, sink: BinaryIO, max_bytes: int) -> None:
        """The body of url written to `sink` as it arrives (a video: never whole in memory), at most
        `max_bytes` of it; redirects as for `download`."""
        self._follow(url, lambda response: self._stream_capped(response, sink, max_bytes))

    def _follow(self, url: str, read: Callable[[urllib3.BaseHTTPResponse], T]) -> T:
        for hop in range(self.max_redirects + 1):
            target = self._target(url, redirected=hop > 0)
            with self._response(target) as response:
                if response.status not in _REDIRECT_STATUSES:
                    if response.status in (401, 403):
                        raise AssetDeniedError(f"download failed: HTTP {response.status}")
                    if response.status != 200:
                        raise AssetError(f"download failed: HTTP {response.status}")
                    return read(response)
                location = response.headers.get("Location")
                if not location:
                    raise AssetError(f"download failed: HTTP {response.status} without a Location")
            url = urljoin(url, location)
        raise AssetError(f"download failed: more than {self.max_redirects} redirects")

    def close(self) -> None:
        self.http.close()

    def _target(self, url: str, redirected: bool) -> Target:
        try:
            return self.policy.target(url)
        except UrlRefused as exc:
            reason = f"redirect refused: {exc}" if redirected else str(exc)
            logger.warning("asset download refused: %s", reason)
            raise AssetError(reason) from None

    @contextmanager
    def _response(self, target: Target) -> Iterator[urllib3.BaseHTTPResponse]:
        try:
            response = self.http.get(target, self.timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise AssetError(f"download failed: {type(exc).__name__}") from None
        try:
            yield response
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise AssetError(f"download failed: {type(exc).__name__}") from None
        finally:
            # A body read to the end has already gone back to the pool; anything else (a redirect,
            # an aborted oversized body) is closed so no half-read connection is reused.
            response.close()
            response.release_conn()

    def _read_capped(self, response: urllib3.BaseHTTPResponse) -> bytes:
        buffer = io.BytesIO()
        self._stream_capped(response, buffer, self.max_bytes)
        return buffer.getvalue()

    @staticmethod
    def _stream_capped(response: urllib3.BaseHTTPResponse, sink: BinaryIO, max_bytes: int) -> None:
        # Content-Length is only a hint to fail early: the count below is what enforces the cap,
        # so a missing or lying header (chunked, or smaller than the body) changes nothing.
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            raise AssetError(f"asset is larger than {max_bytes} bytes")
        size = 0
        for chunk in response.stream(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise AssetError(f"asset is larger than {max_bytes} bytes")
            sink.write(chunk)


_SIGNATURES = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}


def kept_or_decoded(
    data: bytes, formats: frozenset[str], max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image | EncodedImage:
    """A picture in one of `formats` as its file (its size checked from its header, as before a
    decode); any other decoded."""
    found = next((fmt for magic, fmt in _SIGNATURES.items() if data.startswith(magic)), None)
    if found not in formats:
        return decode_image(data, max_pixels)
    try:
        width, height = declared_size(data)
    except UnsupportedImageError as exc:
        raise AssetError(f"not a readable image: {exc}") from None
    if width * height > max_pixels:
        raise AssetError(f"image is {width}x{height} pixels, more than the {max_pixels} allowed")
    return EncodedImage(data=data, format=found, width=width, height=height)  # type: ignore[arg-type]


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    try:
        width, height = declared_size(data)
    except UnsupportedImageError as exc:
        # Its URL did not say (or lied): its content says what it is, for the user to see.
        kind = kind_of_content(data[:4096])
        if kind not in ("image", "unknown"):
            raise AssetNotReadError(kind) from None
        raise AssetError(f"not a readable image: {exc}") from None
    if width * height > max_pixels:
        raise AssetError(f"image is {width}x{height} pixels, more than the {max_pixels} allowed")
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        image = None
    if image is None:
        raise AssetError("not a readable image")
    return image.astype(np.uint8, copy=False)
