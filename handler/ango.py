"""A thin Ango Hub REST client for what a Batch Model run needs, on top of imerit-ango's SDK.

The SDK builds the requests (endpoints, query strings, bodies, the `apikey` header); this module
adds what it lacks for unattended work: timeouts, a pooled session, and errors sorted once into
transient (retried here) and permanent (raised to the caller with Hub's own message).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

import requests
from imerit_ango.sdk import SDK
from requests.adapters import HTTPAdapter

from handler.job import AssetRef
from handler.retry import RetryPolicy, TransientError, call_with_retries

logger = logging.getLogger(__name__)
PAGE_LIMIT = 100  # Hub's maximum page size for list endpoints


class AngoError(Exception):
    """Hub refused the request for good (4xx): retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Ango Hub answered {status}: {message}")
        self.status = status
        self.hub_message = message


class _SdkWithPolicy(SDK):  # type: ignore[misc]
    """imerit-ango's SDK with a timeout and classified errors instead of bare Exception(text)."""

    def __init__(self, api_key: str, host: str, timeout: float, session: requests.Session) -> None:
        super().__init__(api_key=api_key, host=host)
        self.session = session
        self._timeout = timeout

    def make_request(self, method: str, endpoint: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", "apikey": self.api_key}
        try:
            response = self.session.request(
                method, self.host + endpoint, headers=headers, json=payload, timeout=self._timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{method} {endpoint.split('?')[0]}: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise AngoError(response.status_code, _hub_message(response))
        return response.json()


def pooled_session(pool_size: int = 16) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class AngoClient:
    def __init__(
        self,
        host: str,
        api_key: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._sdk = _SdkWithPolicy(api_key, host.rstrip("/"), timeout, session or pooled_session())
        self._retry = retry or RetryPolicy()

    def get_project(self, project_id: str) -> dict[str, Any]:
        response = self._call(lambda: self._sdk.get_project(project_id), "get project")
        return dict(response["data"]["project"])

    def list_assets(self, project_id: str, batches: tuple[str, ...]) -> Iterator[AssetRef]:
        """Every asset in all of `batches` (AND), page by page, in Hub's order."""
        filters: dict[str, Any] = {"batches": list(batches)} if batches else {}
        page, seen = 1, 0
        while True:
            response = self._call(
                partial(self._sdk.get_assets, project_id, page=page, limit=PAGE_LIMIT, filters=filters),
                f"list assets page {page}",
            )
            assets = response["data"]["assets"]
            for asset in assets:
                yield AssetRef(asset_id=asset["_id"], external_id=asset["externalId"], data_url=asset["data"])
            seen += len(assets)
            if not assets or seen >= int(response["data"]["total"]):
                return
            page += 1

    def import_prelabels(self, project_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self._call(lambda: self._sdk.import_labels(project_id, items), "import labels"))

    def _call(self, fn: Any, what: str) -> Any:
        return call_with_retries(fn, what, self._retry)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _hub_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200] or response.reason
    except ValueError:
        return response.reason or "no message"
