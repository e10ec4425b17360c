"""Signed URLs for private storage: signatures, expiry, the `getSignedUrl` query checks (no server)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from infra.emulator.errors import ApiError
from infra.emulator.seed import parse_seed
from infra.emulator.signing import EXPIRES, SIGNATURE, UrlSigner, parse_sign_request, signable_asset

from .factories import BASE_URL, STRICT_PROJECT_ID, strict_seed

pytestmark = pytest.mark.unit

URL = f"{BASE_URL}/files/p/a.png"
PATH = "/files/p/a.png"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.25

    def __call__(self) -> float:
        return self.now


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_signed_url_is_the_plain_url_plus_expiry_and_signature() -> None:
    clock = Clock()
    signed = UrlSigner(b"k", clock).sign(URL, PATH, 600)
    assert signed.startswith(f"{URL}?{EXPIRES}=1000600&{SIGNATURE}=")
    query = _query(signed)
    assert set(query) == {EXPIRES, SIGNATURE} and len(query[SIGNATURE]) == 64
    assert UrlSigner(b"other", clock).sign(URL, PATH, 600) != signed  # the secret is per emulator


def test_a_signature_works_until_it_expires_and_never_past_its_ttl() -> None:
    clock = Clock()
    signer = UrlSigner(b"k", clock)
    query = _query(signer.sign(URL, PATH, 0.5))  # floor(now + 0.5) = now - 0.25: already over
    assert signer.problem(PATH, query, private=True) == ("AccessDenied", "Request has expired")
    query = _query(signer.sign(URL, PATH, 10))
    assert signer.problem(PATH, query, private=True) is None
    clock.now += 9.7
    assert signer.problem(PATH, query, private=False) is None
    clock.now += 0.1
    assert signer.problem(PATH, query, private=False) == ("AccessDenied", "Request has expired")


def test_tampered_partial_or_missing_signatures_are_refused() -> None:
    signer = UrlSigner(b"k", Clock())
    query = _query(signer.sign(URL, PATH, 60))
    flipped = query[SIGNATURE][:-1] + ("0" if query[SIGNATURE][-1] != "0" else "1")
    later = str(int(query[EXPIRES]) + 3600)
    for bad in ({**query, SIGNATURE: flipped}, {**query, EXPIRES: later}):
        assert signer.problem(PATH, bad, private=True) == (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        )
    assert signer.problem("/files/p/b.png", query, private=True)[0] == "SignatureDoesNotMatch"  # type: ignore[index]
    assert signer.problem(PATH, {SIGNATURE: query[SIGNATURE]}, private=False)[0] == "AccessDenied"  # type: ignore[index]
    assert signer.problem(PATH, {}, private=True) == ("AccessDenied", "Access Denied")
    assert signer.problem(PATH, {}, private=False) is None  # a public asset needs no signature
    assert signer.problem(PATH, {"other": "x"}, private=False) is None


@pytest.mark.parametrize(
    ("args", "repeated"),
    [
        ({"project": "p", "type": "assets"}, set()),
        ({"name": URL, "type": "assets"}, set()),
        ({"name": URL, "project": "p"}, set()),
        ({"name": "", "project": "p", "type": "assets"}, set()),
        ({"name": URL, "project": "p", "type": "brushes"}, set()),
        ({"name": URL, "project": "p", "type": "assets", "storageId": "s"}, set()),
        ({"url": URL, "project": "p", "type": "assets"}, set()),  # DOC-API's spelling; the SDK says name
        ({"name": URL, "project": "p", "type": "assets"}, {"name"}),
    ],
)
def test_sign_request_refusals_are_400(args: dict[str, str], repeated: set[str]) -> None:
    with pytest.raises(ApiError) as err:
        parse_sign_request(args, repeated)
    assert err.value.status == 400


def test_only_a_listed_data_url_of_the_project_can_be_signed() -> None:
    assert parse_sign_request({"name": URL, "project": "p", "type": "assets"}, set()) == (URL, "p")
    project = parse_seed(strict_seed()).projects[0]
    private = project.assets[1]
    url = f"{BASE_URL}/files/{STRICT_PROJECT_ID}/{private.filename}"
    assert signable_asset(project, url, BASE_URL) is private
    no_data = project.assets[3]
    for name in (f"{url}?x=1", url.replace(BASE_URL, "http://elsewhere"), f"{url[:-4]}.jpg"):
        with pytest.raises(ApiError) as err:
            signable_asset(project, name, BASE_URL)
        assert err.value.status == 404
    with pytest.raises(ApiError):
        signable_asset(project, f"{BASE_URL}/files/{STRICT_PROJECT_ID}/{no_data.filename}", BASE_URL)
