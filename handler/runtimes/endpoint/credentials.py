"""The HTTP endpoint's credentials: a header whose value is kept in AWS Secrets Manager, read once
per process with the handler's own AWS role, never from the Config JSON and never logged.

The secret (`ANGO_BATCH_ENDPOINT_SECRET`, an ARN or a name) holds the header's whole value
("Bearer abc..."), or a JSON object of headers ({"x-api-key": "abc..."}) for an endpoint that wants
other or several headers.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from handler.contract import redaction
from handler.contract.model import ModelLoadError
from handler.runtimes.endpoint.transport import Headers

_CACHE: dict[tuple[str, str], dict[str, str]] = {}  # (secret id, header) -> headers, this process's
_LOCK = threading.Lock()


def secret_headers(secret_id: str, header: str, client: Any = None) -> Headers:
    """The headers the secret makes; ModelLoadError naming the secret (never its value)."""
    key = (secret_id, header)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _headers(_fetch(secret_id, client), header, secret_id)
            for value in _CACHE[key].values():
                _register(value)
        return Headers(_CACHE[key])


def _fetch(secret_id: str, client: Any) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.session.Session().client("secretsmanager")
    try:
        with _quiet_botocore():
            answer = client.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise ModelLoadError(f"cannot read the endpoint's secret {secret_id!r}: {code}") from None
    except BotoCoreError as exc:
        raise ModelLoadError(
            f"cannot read the endpoint's secret {secret_id!r}: {type(exc).__name__}"
        ) from None
    value = answer.get("SecretString")
    if not isinstance(value, str) or not value.strip():
        raise ModelLoadError(f"the endpoint's secret {secret_id!r} holds no text (SecretString)")
    return value.strip()


def _headers(value: str, header: str, secret_id: str) -> dict[str, str]:
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        document = {header: value}
    elif not document or not all(isinstance(v, str) for v in document.values()):
        raise ModelLoadError(
            f"the endpoint's secret {secret_id!r} is a JSON object: it must map header names to texts"
        )
    for name, text in document.items():
        # http.client quotes a bad header value in its error: refuse it here, unquoted.
        if not text or any(not ch.isprintable() for ch in text) or not name.isascii() or ":" in name:
            raise ModelLoadError(
                f"the endpoint's secret {secret_id!r}: header {name!r} has an unusable value"
            )
    return dict(document)


def _register(value: str) -> None:
    """Keep the value, and a scheme's token on its own, out of every log line of this process
    (handler/contract/redaction.py's filter, a backstop: nothing here logs it)."""
    for part in (value, value.partition(" ")[2]):
        if len(part) >= 6:
            redaction.SECRETS.add(part)


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def _quiet_botocore() -> Iterator[None]:
    """botocore logs every response body at DEBUG (botocore.parsers): not this one's."""
    logger, muted = logging.getLogger("botocore.parsers"), _DropAll()
    logger.addFilter(muted)
    try:
        yield
    finally:
        logger.removeFilter(muted)
