"""Private storage over real HTTP: `GET /v2/getSignedUrl` through the real `SDK._get_signed_url`."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from imerit_ango.models.enums import StorageFileTypes
from imerit_ango.sdk import SDK

from infra import demo_data as d
from infra.emulator.control import EmulatorControl
from infra.emulator.signing import EXPIRES, SIGNATURE

from .factories import ASSET_BYTES, STRICT_PROJECT_ID, strict_seed

pytestmark = pytest.mark.integration

SIGN = "/v2/getSignedUrl"
FILES = f"/files/{STRICT_PROJECT_ID}"


def _listed(emu: EmulatorControl) -> dict[str, Any]:
    """The strict project's assets by externalId, as `SDK.get_assets` lists them."""
    emu.seed(strict_seed())
    assets = SDK(d.API_KEY, emu.base_url).get_assets(STRICT_PROJECT_ID, limit=100)["data"]["assets"]
    return {a["externalId"]: a for a in assets}


def _sign(emu: EmulatorControl, url: str, project: str = STRICT_PROJECT_ID) -> str:
    signed: str = SDK(d.API_KEY, emu.base_url)._get_signed_url(url, project, StorageFileTypes.ASSET)
    return signed


def _sign_raw(emu: EmulatorControl, key: str | None = d.API_KEY, **params: str) -> requests.Response:
    headers = {"apikey": key} if key else {}
    return requests.get(f"{emu.base_url}{SIGN}", headers=headers, params=params, timeout=10)


def _replace(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()


def _denied(response: requests.Response, code: str) -> bool:
    xml = response.headers["Content-Type"].startswith("application/xml")
    return response.status_code == 403 and xml and f"<Code>{code}</Code>" in response.text


def test_private_asset_downloads_only_when_signed(emu: EmulatorControl) -> None:
    private = _listed(emu)["private.png"]
    assert "?" not in private["data"]
    assert _denied(requests.get(private["data"], timeout=10), "AccessDenied")
    signed = _sign(emu, private["data"])
    assert signed.startswith(private["data"] + "?")
    assert set(dict(parse_qsl(urlsplit(signed).query))) == {EXPIRES, SIGNATURE}
    download = requests.get(signed, timeout=10)
    assert (download.status_code, download.content) == (200, ASSET_BYTES)
    gone = _listed(emu)["private-gone.png"]
    assert _denied(requests.get(gone["data"], timeout=10), "AccessDenied")  # no signature: no answer
    assert requests.get(_sign(emu, gone["data"]), timeout=10).status_code == 404
    stats = emu.stats()
    assert stats["GET /v2/getSignedUrl"] == {"200": 2}
    assert stats["GET /files/<project_id>/<filename>"] == {"200": 1, "403": 2, "404": 1}


def test_signed_urls_expire(emu: EmulatorControl) -> None:
    private = _listed(emu)["private.png"]
    emu.configure(signed_url_ttl_s=1.0)
    signed = _sign(emu, private["data"])
    expires = int(dict(parse_qsl(urlsplit(signed).query))[EXPIRES])
    assert expires <= time.time() + 1.0
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    expired = requests.get(signed, timeout=10)
    assert _denied(expired, "AccessDenied") and "Request has expired" in expired.text


def test_tampered_signatures_are_refused(emu: EmulatorControl) -> None:
    listed = _listed(emu)
    signed = _sign(emu, listed["private.png"]["data"])
    signature = dict(parse_qsl(urlsplit(signed).query))[SIGNATURE]
    later = str(int(time.time()) + 86_400)
    other_file = signed.replace(listed["private.png"]["data"], listed["private-gone.png"]["data"])
    for bad in (_replace(signed, SIGNATURE, signature[::-1]), _replace(signed, EXPIRES, later), other_file):
        assert _denied(requests.get(bad, timeout=10), "SignatureDoesNotMatch"), bad
    partial = signed.split("&")[0]
    assert _denied(requests.get(partial, timeout=10), "AccessDenied")


def test_public_assets_stay_public_and_can_be_signed_too(emu: EmulatorControl) -> None:
    public = _listed(emu)["public.png"]["data"]
    assert requests.get(public, timeout=10).content == ASSET_BYTES
    signed = _sign(emu, public)
    assert requests.get(signed, timeout=10).content == ASSET_BYTES
    assert _denied(requests.get(_replace(signed, SIGNATURE, "0" * 64), timeout=10), "SignatureDoesNotMatch")
    demo = SDK(d.API_KEY, emu.base_url).get_assets(d.PROJECT_ID)["data"]["assets"][0]["data"]
    assert requests.get(demo, timeout=10).status_code == 200
    assert requests.get(_sign(emu, demo, d.PROJECT_ID), timeout=10).status_code == 200


def test_signing_refusals(emu: EmulatorControl) -> None:
    listed = _listed(emu)
    url = listed["private.png"]["data"]
    good = {"name": url, "project": STRICT_PROJECT_ID, "type": "assets"}
    assert _sign_raw(emu, **good).json()["status"] == "success"
    assert [_sign_raw(emu, key, **good).status_code for key in (None, "wrong")] == [401, 401]
    assert _sign_raw(emu, d.OTHER_API_KEY, **good).json() == {
        "status": "fail",
        "message": f"Invalid project: {STRICT_PROJECT_ID}",
    }
    wrong_project = _sign_raw(emu, **{**good, "project": d.PROJECT_ID})
    assert wrong_project.status_code == 404 and wrong_project.json()["status"] == "fail"
    no_data = {**good, "name": f"{emu.base_url}{FILES}/{listed['no-data.png']['_id']}.png"}  # would-be URL
    bad_requests = [
        {**good, "type": "brushes"},
        {k: v for k, v in good.items() if k != "type"},
        {k: v for k, v in good.items() if k != "name"},
        {**good, "storageId": "s3"},
        {"url": url, "project": STRICT_PROJECT_ID, "type": "assets"},
    ]
    assert [_sign_raw(emu, **p).status_code for p in bad_requests] == [400] * 5
    assert _sign_raw(emu, **no_data).status_code == 404


def test_signing_is_an_ordinary_v2_call(emu: EmulatorControl) -> None:
    url = _listed(emu)["private.png"]["data"]
    emu.configure(latency_ms=120)
    started = time.monotonic()
    _sign(emu, url)
    assert time.monotonic() - started >= 0.12
    emu.configure(latency_ms=0, rest_429_rate=1.0)
    response = _sign_raw(emu, name=url, project=STRICT_PROJECT_ID, type="assets")
    assert response.status_code == 429
    emu.configure(rest_429_rate=0.0)
    assert requests.get(url, timeout=10).status_code == 403  # the injected 429 left files alone


def test_project_type_and_data_less_assets(emu: EmulatorControl) -> None:
    listed = _listed(emu)
    sdk = SDK(d.API_KEY, emu.base_url)
    assert sdk.get_project(STRICT_PROJECT_ID)["data"]["project"]["type"] == "video"
    assert sdk.get_project(d.PROJECT_ID)["data"]["project"]["type"] == "ango"
    no_data = listed["no-data.png"]
    assert no_data["data"] is None and set(no_data) == set(listed["public.png"])
    assert requests.get(f"{emu.base_url}{FILES}/{no_data['_id']}.png", timeout=10).status_code == 404
