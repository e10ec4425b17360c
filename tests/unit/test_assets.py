"""Asset downloads against a real HTTP server on loopback: what is refused, with which reason, and
that a refusal happens before any connection is made."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterator

import pytest

from handler.assets import AssetError, AssetFetcher, decode_image
from handler.contract.messages import AssetRef
from handler.contract.settings import Settings, parse_networks
from handler.pinned_http import PinnedHttp
from handler.url_guard import AddressPolicy, IPAddress, Resolver
from tests.unit.asset_server import AssetServer, body, chunked, lying_length, redirect
from tests.unit.image_samples import bomb_png, png

pytestmark = pytest.mark.unit

LOOPBACK = parse_networks("127.0.0.0/8,::1")
CAP = 100_000  # bytes: small, so oversized bodies stay quick
SECRET = "X-Amz-Signature=deadbeefSECRET"


@pytest.fixture
def server() -> Iterator[AssetServer]:
    server = AssetServer()
    server.routes["/face.png"] = body(png())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., AssetFetcher]]:
    made: list[AssetFetcher] = []

    def make(allowed: str = "127.0.0.0/8,::1", resolver: Resolver | None = None) -> AssetFetcher:
        policy = AddressPolicy(parse_networks(allowed))
        if resolver is not None:
            policy = AddressPolicy(policy.allowed, resolver)
        fetcher = AssetFetcher(policy, PinnedHttp(), timeout=5.0, max_bytes=CAP)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


def refusal(fetcher: AssetFetcher, url: str) -> str:
    with pytest.raises(AssetError) as caught:
        fetcher.download(url)
    return str(caught.value)


# -- addresses -----------------------------------------------------------------------------------


def test_loopback_is_refused_unless_allowed_and_nothing_is_sent(server, make_fetcher):
    reason = refusal(make_fetcher(allowed=""), server.url("/face.png"))
    assert reason == "asset host 127.0.0.1 is refused: loopback address"
    assert server.requests == []


def test_loopback_is_fetched_when_the_setting_allows_it(server):
    fetcher = AssetFetcher.from_settings(Settings(ANGO_BATCH_ALLOWED_ASSET_NETWORKS="127.0.0.0/8,::1"))
    try:
        image = fetcher.fetch_image(AssetRef(asset_id="a", external_id="e", data_url=server.url("/face.png")))
    finally:
        fetcher.close()
    assert image.shape == (7, 13, 3)
    assert server.requests == [("/face.png", f"127.0.0.1:{server.port}")]


def test_a_name_that_resolves_to_loopback_is_refused(server, make_fetcher):
    # Real resolution of "localhost": the check is on the address, not on how the URL spells it.
    reason = refusal(make_fetcher(allowed=""), server.url("/face.png", host="localhost"))
    assert reason == "asset host localhost is refused: loopback address"
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"),
        ("http://10.1.2.3/a.png", "private"),
        ("http://192.168.0.10:8080/a.png", "private"),
        ("http://0.0.0.0/a.png", "unspecified"),
        ("http://2852039166/a.png", "link-local"),  # 169.254.169.254 as one decimal number
        ("http://[::1]/a.png", "loopback"),
        ("http://[fd00::1]/a.png", "private"),
        ("http://[fe80::1]/a.png", "link-local"),
        ("http://[::ffff:169.254.169.254]/a.png", "link-local"),  # IPv4-mapped IPv6
        ("http://[64:ff9b::a9fe:a9fe]/a.png", "reserved"),  # NAT64 of 169.254.169.254
        ("http://[2002:a9fe:a9fe::1]/a.png", "link-local (IPv4 inside IPv6)"),  # 6to4
        ("http://224.0.0.1/a.png", "multicast"),
    ],
)
def test_non_public_addresses_are_refused_before_connecting(make_fetcher, url, kind):
    # Loopback is allowed here, to show the allowance is exact: it does not open other networks.
    # Nothing listens on these addresses and the sandbox has no route out, so a connection
    # attempt would fail with a different reason, not this one.
    reason = refusal(make_fetcher(allowed="127.0.0.0/8"), url)
    assert reason.endswith(f"is refused: {kind} address")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/a.png", "gopher://127.0.0.1:70/", "data:image/png;base64,AA"],
)
def test_non_http_schemes_are_refused(make_fetcher, url):
    assert refusal(make_fetcher(), url) == "asset URL is not http(s)"


def test_every_resolved_address_must_pass(server, make_fetcher):
    # A name answering with one public and one private address is refused as a whole: the
    # connection could otherwise fall back to the private one.
    answers: list[IPAddress] = [ipaddress.ip_address("203.0.114.7"), ipaddress.ip_address("10.0.0.7")]
    reason = refusal(make_fetcher(resolver=lambda host, port: answers), "http://mixed.test/a.png")
    assert reason == "asset host mixed.test is refused: private address"


def test_connection_goes_to_the_checked_address_not_a_second_resolution(server, make_fetcher):
    # DNS rebinding: the first answer is allowed, any later one points at instance metadata. The
    # download must connect to the first answer and never ask again.
    answers = iter(["127.0.0.1", "169.254.169.254", "169.254.169.254"])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address(next(answers))]

    data = make_fetcher(resolver=rebinding).download(server.url("/face.png", host="rebind.test"))
    assert data == png()
    assert asked == ["rebind.test"]
    assert server.requests == [("/face.png", f"rebind.test:{server.port}")]  # the name, not the IP


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            f"http://10.0.0.1/x.png?{SECRET}",
            "redirect refused: asset host 10.0.0.1 is refused: private address",
        ),
        (
            f"http://169.254.169.254/latest/meta-data/?{SECRET}",
            "redirect refused: asset host 169.254.169.254 is refused: link-local address",
        ),
        ("file:///etc/passwd", "redirect refused: asset URL is not http(s)"),
    ],
)
def test_a_redirect_is_checked_like_the_first_url(server, make_fetcher, caplog, location, reason):
    server.routes["/hop"] = redirect(location)
    with caplog.at_level(logging.INFO):
        assert refusal(make_fetcher(), server.url(f"/hop?{SECRET}")) == reason
    assert reason in caplog.text  # the refusal is logged...
    assert SECRET not in caplog.text  # ...without the query: signed URLs carry credentials there
    assert [path for path, _ in server.requests] == [f"/hop?{SECRET}"]


def test_an_allowed_relative_redirect_is_followed(server, make_fetcher):
    server.routes["/old"] = redirect("/face.png", status=301)
    assert make_fetcher().download(server.url("/old")) == png()
    assert [path for path, _ in server.requests] == ["/old", "/face.png"]


def test_redirects_stop_after_five(server, make_fetcher):
    server.routes["/loop"] = redirect("/loop")
    assert refusal(make_fetcher(), server.url("/loop")) == "download failed: more than 5 redirects"
    assert len(server.requests) == 6  # the first request and five redirects


def test_a_redirect_without_location_fails(server, make_fetcher):
    server.routes["/nowhere"] = lambda handler: handler.send_error(302)
    assert refusal(make_fetcher(), server.url("/nowhere")) == "download failed: HTTP 302 without a Location"


def test_http_errors_are_reported_with_their_status(server, make_fetcher):
    assert refusal(make_fetcher(), server.url(f"/missing?{SECRET}")) == "download failed: HTTP 404"


# -- size --------------------------------------------------------------------------------------------


def test_an_honest_oversized_content_length_is_refused(server, make_fetcher):
    server.routes["/big"] = body(b"\0" * (CAP + 1))
    assert refusal(make_fetcher(), server.url("/big")) == f"asset is larger than {CAP} bytes"


def test_an_oversized_body_without_content_length_is_cut_off(server, make_fetcher):
    server.routes["/stream"] = chunked(total=20 * CAP)
    assert refusal(make_fetcher(), server.url("/stream")) == f"asset is larger than {CAP} bytes"


def test_a_content_length_smaller_than_the_body_cannot_bring_more_in(server, make_fetcher):
    server.routes["/liar"] = lying_length(declared=1000, actual=20 * CAP)
    assert len(make_fetcher().download(server.url("/liar"))) == 1000


def test_a_content_length_larger_than_the_body_fails_cleanly(server, make_fetcher):
    server.routes["/short"] = lying_length(declared=CAP, actual=10)
    assert refusal(make_fetcher(), server.url("/short")) == "download failed: ProtocolError"


def test_a_content_length_that_is_not_a_number_is_ignored(server, make_fetcher):
    # "²" passes str.isdigit() but not int(): the hint must not crash the download.
    server.routes["/odd"] = lambda handler: _raw_response(handler, png(), "\u00b2")
    assert make_fetcher().download(server.url("/odd")) == png()


def test_a_decompression_bomb_is_refused_per_asset(server, make_fetcher):
    bomb = bomb_png()
    assert len(bomb) < CAP  # tiny on the wire
    server.routes["/bomb.png"] = body(bomb)
    asset = AssetRef(asset_id="a", external_id="bomb.png", data_url=server.url("/bomb.png"))
    with pytest.raises(AssetError, match=r"^image is 30000x30000 pixels, more than the 50000000 allowed$"):
        make_fetcher().fetch_image(asset)


def _raw_response(handler, data: bytes, content_length: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", content_length)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(data)
    handler.close_connection = True


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video"),
        (b"%PDF-1.7\n" + b"\x00" * 64, "document"),
        ("Hello, wörld\nline two\n".encode(), "text"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64, "audio"),
    ],
)
def test_a_download_that_is_not_an_image_says_what_its_content_is(head: bytes, kind: str) -> None:
    with pytest.raises(AssetError, match=f"its content is {kind}"):
        decode_image(head)


def test_content_kinds_are_told_by_their_first_bytes() -> None:
    from handler.media.kinds import kind_of_content, kind_of_url

    assert kind_of_content(b"\x89PNG\r\n\x1a\n....") == "image"
    assert kind_of_content(b"\x00" * 128 + b"DICM") == "medical"
    assert kind_of_content(b"\xff\xfe\x00garbage\x01") == "unknown"
    assert kind_of_url("https://h/a/b.MP4?sig=1") == "video"
    assert kind_of_url("https://h/a/b%2Etxt") == "text"
    assert kind_of_url("https://h/a/noext") == "unknown"


def test_a_picture_a_model_takes_as_a_file_is_kept_its_size_checked_first() -> None:
    import cv2
    import numpy as np

    from handler.assets import kept_or_decoded
    from handler.contract.model import EncodedImage

    picture = np.zeros((30, 40, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", picture)[1].tobytes()
    png = cv2.imencode(".png", picture)[1].tobytes()
    assert kept_or_decoded(jpeg, frozenset({"jpeg"})) == EncodedImage(jpeg, "jpeg", 40, 30)
    assert kept_or_decoded(png, frozenset({"jpeg"})).shape == (30, 40, 3)  # type: ignore[union-attr]
    with pytest.raises(AssetError, match="40x30 pixels, more than the 100 allowed"):
        kept_or_decoded(jpeg, frozenset({"jpeg"}), max_pixels=100)  # refused before any decode
    with pytest.raises(AssetError, match="not a readable image"):
        kept_or_decoded(jpeg[:3] + b"garbage", frozenset({"jpeg"}))
