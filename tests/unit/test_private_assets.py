"""Private assets: signed only when their host refuses a plain read, and then at once."""

from __future__ import annotations

import pytest

from handler.assets import AssetDeniedError, AssetError
from handler.contract.hub_http import AngoError
from handler.private_assets import AssetReader

pytestmark = pytest.mark.unit


class FakeStorage:
    """Plain URLs of `private` hosts answer 403; signed ones (`?sig`) are read."""

    def __init__(self, private: set[str]) -> None:
        self.private, self.reads = private, []

    def download(self, url: str) -> bytes:
        self.reads.append(url)
        if "?sig" not in url and any(f"//{host}/" in url for host in self.private):
            raise AssetDeniedError("download failed: HTTP 403")
        return b"bytes of " + url.encode()


def test_public_assets_are_never_signed():
    storage, signed = FakeStorage(set()), []
    reader = AssetReader(storage, lambda url: signed.append(url) or url + "?sig")  # type: ignore[arg-type]
    assert reader.read("https://pub/a.jpg") == b"bytes of https://pub/a.jpg"
    assert signed == []


def test_a_refusing_host_is_signed_after_its_first_refusal_and_at_once_afterwards():
    storage, signed = FakeStorage({"priv"}), []
    reader = AssetReader(storage, lambda url: signed.append(url) or url + "?sig")  # type: ignore[arg-type]
    reader.read("https://priv/a.jpg")
    reader.read("https://priv/b.jpg")
    assert signed == ["https://priv/a.jpg", "https://priv/b.jpg"]
    assert storage.reads == ["https://priv/a.jpg", "https://priv/a.jpg?sig", "https://priv/b.jpg?sig"]


def test_a_refused_signature_fails_the_asset_without_naming_the_url():
    def refuse(url: str) -> str:
        raise AngoError(404, f"no asset {url}")

    reader = AssetReader(FakeStorage({"priv"}), refuse)  # type: ignore[arg-type]
    with pytest.raises(AssetError) as failed:
        reader.read("https://priv/secret-path.jpg")
    assert "404" in str(failed.value) and "secret-path" not in str(failed.value)
