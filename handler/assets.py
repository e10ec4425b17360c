"""Downloading and decoding assets, with per-asset failures kept as short, sanitised reasons."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import cv2
import numpy as np
import requests

from handler.job import AssetRef
from handler.model import Image

logger = logging.getLogger(__name__)
_CHUNK = 64 * 1024


class AssetError(Exception):
    """This one asset cannot be used; the message is safe to show to the user."""


@dataclass(frozen=True)
class AssetFetcher:
    session: requests.Session
    timeout: float = 30.0
    max_bytes: int = 50 * 1024 * 1024

    def fetch_image(self, asset: AssetRef) -> Image:
        return decode_image(self.download(asset.data_url))

    def download(self, url: str) -> bytes:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise AssetError("asset URL is not http(s)")
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as response:
                if response.status_code != 200:
                    raise AssetError(f"download failed: HTTP {response.status_code}")
                return self._read_capped(response)
        except requests.RequestException as exc:
            raise AssetError(f"download failed: {type(exc).__name__}") from None

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise AssetError(f"asset is larger than {self.max_bytes} bytes")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise AssetError(f"asset is larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def decode_image(data: bytes) -> Image:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise AssetError("not a readable image")
    return image.astype(np.uint8, copy=False)
