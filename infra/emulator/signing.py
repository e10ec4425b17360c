"""Private storage (protocol §12.1): `GET /v2/getSignedUrl` and the signatures `/files/...` checks.

Hub's facts, from the SDK (`sdk.py` `_get_signed_url`): the plugin calls
`GET /v2/getSignedUrl?name=<asset url>&project=<id>&type=assets` with the `apikey` header and reads
`data.signedUrl`; `upload_files` stores the asset URL without its query, so the listed `data` is the
plain URL. Everything about the signature itself (names, HMAC, expiry in whole seconds) is the emulator's.

Strict choices where Hub is undocumented: every one of `name`, `project`, `type` is required and nothing
else is accepted (not DOC-API's `url=`, not the SDK's optional `storageId`: the emulator has no storage
integrations); `type` must be `assets`; `name` must be exactly an asset's listed `data` URL. A URL stops
working at `floor(now + signed_url_ttl_s)`, so never later than its TTL. A request that carries a bad
signature is refused even for a public asset, as S3 refuses a bad presigned query on a public object.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping

from flask import Response

from .errors import ApiError
from .model import Asset, Project

EXPIRES = "X-Ango-Expires"
SIGNATURE = "X-Ango-Signature"
SIGN_PARAMS = frozenset({"name", "project", "type"})
SIGNABLE_TYPE = "assets"  # StorageFileTypes.ASSET; brushes, exports, ... have no files here

_S3_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
)


class UrlSigner:
    """HMAC-SHA256 over `path + "\\n" + expiry` with a secret drawn per emulator process."""

    def __init__(self, secret: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._clock = clock

    def sign(self, url: str, path: str, ttl_s: float) -> str:
        """`url` (the plain asset URL, served at `path`) with an expiry and a signature appended."""
        expires = int(self._clock() + ttl_s)
        return f"{url}?{EXPIRES}={expires}&{SIGNATURE}={self._mac(path, str(expires))}"

    def problem(self, path: str, args: Mapping[str, str], private: bool) -> tuple[str, str] | None:
        """None if the download may go ahead; else an S3-style (code, message) for a 403."""
        expires, signature = args.get(EXPIRES), args.get(SIGNATURE)
        if expires is None and signature is None:
            return ("AccessDenied", "Access Denied") if private else None
        if expires is None or signature is None:
            return "AccessDenied", "Query-string authentication requires the Expires and Signature parameters"
        if not hmac.compare_digest(self._mac(path, expires), signature):
            return "SignatureDoesNotMatch", "The request signature we calculated does not match"
        if not expires.isdigit() or self._clock() >= int(expires):
            return "AccessDenied", "Request has expired"
        return None

    def _mac(self, path: str, expires: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def file_path(project_id: str, filename: str) -> str:
    """The path an asset's bytes are served at: what a signature covers."""
    return f"/files/{project_id}/{filename}"


def parse_sign_request(args: Mapping[str, str], repeated: set[str]) -> tuple[str, str]:
    """`(name, project)` of a `getSignedUrl` query; `repeated` names parameters given more than once."""
    unknown = set(args) - SIGN_PARAMS
    if unknown:
        raise ApiError(400, f"unsupported query parameters: {sorted(unknown)}")
    missing = sorted(p for p in SIGN_PARAMS if not args.get(p))
    if missing:
        raise ApiError(400, f"missing query parameters: {missing}")
    if repeated:
        raise ApiError(400, f"query parameters given more than once: {sorted(repeated)}")
    if args["type"] != SIGNABLE_TYPE:
        raise ApiError(400, f"type must be {SIGNABLE_TYPE!r}")
    return args["name"], args["project"]


def signable_asset(project: Project, name: str, base_url: str) -> Asset:
    asset = project.asset_by_url(base_url, name)
    if asset is None:
        raise ApiError(404, f"No asset with this url in project {project.id}")
    return asset


def access_denied(code: str, message: str) -> Response:
    """What a bucket answers a download it refuses: 403 with a small XML error body."""
    body = _S3_ERROR.format(code=code, message=message)
    return Response(body, status=403, mimetype="application/xml")
