"""Reading assets kept in private storage (Ango's own, or a private bucket), per job.

Hub lists such an asset by its plain URL, which answers 401/403; Hub signs it on request
(`GET /v2/getSignedUrl`). Signing costs a Hub call per asset and signed URLs expire, so a URL is
signed only when needed, just before its download: after its host refused a plain read, or at once
for a host that refused one earlier in this job. The signed URL goes through the same download
guard and is never logged, stored or queued: its query is a credential.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

from handler.assets import AssetDeniedError, AssetError, AssetFetcher
from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef
from handler.contract.model import EncodedImage, Image
from handler.media.text import decode_text

Signer = Callable[[str], str]  # plain asset URL -> signed URL
T = TypeVar("T")


class AssetReader:
    def __init__(self, fetcher: AssetFetcher, sign: Signer) -> None:
        self._fetcher, self._sign = fetcher, sign
        self._private_hosts: set[str] = set()
        self._lock = threading.Lock()

    def read_image(self, asset: AssetRef) -> Image:
        return self._fetcher.decode(self.read(asset.data_url))

    def read_picture(self, asset: AssetRef, formats: frozenset[str]) -> Image | EncodedImage:
        """The picture as its file, where its format is one of `formats`; else decoded."""
        return self._fetcher.keep_or_decode(self.read(asset.data_url), formats)

    def read_text(self, asset: AssetRef) -> str:
        return decode_text(self.read(asset.data_url))

    def read(self, url: str) -> bytes:
        return self._signed_if_denied(url, self._fetcher.download)

    def read_to(self, asset: AssetRef, sink: BinaryIO, max_bytes: int) -> None:
        """The asset's file written to `sink` (a video), signed as `read` does."""

        def download(url: str) -> None:
            sink.seek(0)
            sink.truncate()
            self._fetcher.download_to(url, sink, max_bytes)

        self._signed_if_denied(asset.data_url, download)

    def _signed_if_denied(self, url: str, fetch: Callable[[str], T]) -> T:
        """`fetch(url)`; if its host denies it, the URL Hub signs (and that host's later URLs are
        signed at once)."""
        host = urlsplit(url).hostname or ""
        with self._lock:
            known_private = host in self._private_hosts
        if not known_private:
            try:
                return fetch(url)
            except AssetDeniedError:
                with self._lock:
                    self._private_hosts.add(host)
        return fetch(self._signed(url))

    def _signed(self, url: str) -> str:
        try:
            return self._sign(url)
        except AngoError as exc:
            # Hub's message may quote the URL; the status is enough to act on.
            raise AssetError(f"private asset: Ango Hub did not sign its URL (HTTP {exc.status})") from None
