"""Pinned https: the connection goes to the checked address, while SNI, the Host header and
certificate verification still use the URL's host name. Certificates come from the openssl CLI."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from handler.assets import AssetError, AssetFetcher
from handler.contract.settings import parse_networks
from handler.pinned_http import PinnedHttp
from handler.url_guard import AddressPolicy, IPAddress
from tests.unit.asset_server import AssetServer, body

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]
DATA = b"\x89PNG pretend"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA and a server certificate for the name assets.test only."""
    where = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA",
            cwd=where)  # fmt: skip
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=assets.test", cwd=where)
    (where / "leaf.ext").write_text(
        "subjectAltName=DNS:assets.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext", cwd=where)  # fmt: skip
    return where


@pytest.fixture
def server(certificates: Path) -> Iterator[AssetServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    server = AssetServer(tls=context)
    server.routes["/face.png"] = body(DATA)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fetcher(certificates: Path) -> Iterator[AssetFetcher]:
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]  # every test name is served on loopback

    policy = AddressPolicy(parse_networks("127.0.0.0/8"), resolver)
    fetcher = AssetFetcher(policy, PinnedHttp(ca_certs=str(certificates / "ca.pem")), timeout=5.0)
    try:
        yield fetcher
    finally:
        fetcher.close()


def test_https_to_a_pinned_address_keeps_the_name_for_sni_host_and_certificate(server, fetcher):
    assert fetcher.download(server.url("/face.png", host="assets.test")) == DATA
    assert server.server_names == ["assets.test"]
    assert server.requests == [("/face.png", f"assets.test:{server.port}")]


def test_a_certificate_for_another_name_is_refused_even_at_the_checked_address(server, fetcher):
    with pytest.raises(AssetError, match=r"^download failed: SSLError$"):
        fetcher.download(server.url("/face.png", host="other.test"))
    assert server.requests == []


def test_an_ip_literal_url_is_verified_against_the_ip(server, fetcher):
    # The certificate names assets.test, not 127.0.0.1: a literal must not borrow a name.
    with pytest.raises(AssetError, match=r"^download failed: SSLError$"):
        fetcher.download(server.url("/face.png"))
    assert server.requests == []
