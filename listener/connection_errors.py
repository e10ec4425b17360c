"""Why a connection to Ango Hub failed, in words that say what to fix.

python-socketio reports every failure as `ConnectionError('Connection error')`; the cause (a DNS
failure, a TLS error, an HTTP status from the handshake) is further down the exception chain.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator


def describe_connect_error(exc: BaseException, host: str) -> str:
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup of {host} failed: check ANGO_HOST and this machine's DNS"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate of {host} not trusted ({cause.verify_message}): check ANGO_HOST"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake with {host} failed ({cause.reason}): is the scheme (https/http) right?"
        status = getattr(cause, "status_code", None)
        if isinstance(status, int):
            return (
                f"{host} answered HTTP {status} to the plugin socket: check that ANGO_HOST is the "
                "Ango Hub origin of your region, without a path"
            )
        if isinstance(cause, ConnectionRefusedError):
            return f"{host} refused the connection: check ANGO_HOST's port"
        if isinstance(cause, TimeoutError | socket.timeout):
            return f"{host} did not answer in time: check the network path (proxy, firewall)"
    return f"{type(exc).__name__} connecting to {host}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
