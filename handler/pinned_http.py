"""GET over a connection to an address checked in advance, not to whatever the name resolves to now.

Pools are keyed by the pinned address. For https the certificate is still verified against the
URL's host name, and SNI and the Host header carry that name: pinning changes where we connect,
not whom we trust. urllib3 is used directly (not requests) because requests resolves the name
itself and would also follow proxy environment variables past the address check.
"""

from __future__ import annotations

from typing import Any

import certifi
import urllib3
from urllib3.exceptions import ConnectTimeoutError

from handler.url_guard import IPAddress, Target

# Images are already compressed; asking for identity keeps a gzip bomb from being offered at all.
_HEADERS = {"Accept-Encoding": "identity", "User-Agent": "ango-batch"}


class PinnedHttp:
    def __init__(self, pool_size: int = 16, ca_certs: str | None = None) -> None:
        self._pools = urllib3.PoolManager(
            num_pools=64,
            maxsize=pool_size,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(),
        )

    def get(self, target: Target, timeout: float) -> urllib3.BaseHTTPResponse:
        """The response with its body unread; the caller reads it and then calls `close()` on it.

        Redirects are returned, not followed: the caller checks each hop's address itself.
        """
        failure: ConnectTimeoutError | None = None
        for address in target.addresses:
            try:
                return self._pool(target, address).urlopen(
                    "GET",
                    target.path,
                    headers={**_HEADERS, "Host": target.host_header},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    release_conn=False,
                    timeout=urllib3.Timeout(connect=timeout, read=timeout),
                )
            except ConnectTimeoutError as exc:  # NewConnectionError included: try the next address
                failure = exc
        assert failure is not None, "a Target always has at least one address"
        raise failure

    def close(self) -> None:
        self._pools.clear()

    def _pool(self, target: Target, address: IPAddress) -> urllib3.HTTPConnectionPool:
        pool_kwargs: dict[str, Any] = {}
        if target.scheme == "https" and not target.host_is_literal:
            pool_kwargs = {"server_hostname": target.host, "assert_hostname": target.host}
        return self._pools.connection_from_host(
            str(address), target.port, target.scheme, pool_kwargs=pool_kwargs
        )
