"""Ango Hub's HTTP layer under the SDK: a timeout, a pooled session, pacing per API key, and
errors sorted once into transient (worth retrying: 5xx, 429, timeouts, dropped connections) and
permanent (raised with Hub's own message). imerit-ango's SDK still builds every request."""

from __future__ import annotations

from typing import Any

import requests
from imerit_ango.sdk import SDK
from requests.adapters import HTTPAdapter

from handler.contract import telemetry
from handler.contract.hub_pacing import HubPacer
from handler.contract.retry import TransientError


class AngoError(Exception):
    """Hub refused the request for good (4xx): retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Ango Hub answered {status}: {message}")
        self.status = status
        self.hub_message = message


class SdkWithPolicy(SDK):  # type: ignore[misc]
    """imerit-ango's SDK with a timeout and classified errors instead of bare Exception(text)."""

    def __init__(
        self, api_key: str, host: str, timeout: float, session: requests.Session, pacer: HubPacer | None
    ) -> None:
        super().__init__(api_key=api_key, host=host)
        self.session = session
        self._timeout = timeout
        self._pacer = pacer

    def make_request(self, method: str, endpoint: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", "apikey": self.api_key}
        if self._pacer is not None:
            self._pacer.acquire()
        try:
            response = self.session.request(
                method, self.host + endpoint, headers=headers, json=payload, timeout=self._timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{method} {endpoint.split('?')[0]}: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            # Anything else is our request's fault (e.g. InvalidHeader, whose text quotes the key).
            raise AngoError(0, f"request not sent ({type(exc).__name__})") from None
        telemetry.hub_call(response.status_code)  # metrics HubCalls, and HubThrottled on a 429
        if response.status_code == 429:
            if self._pacer is not None:
                self._pacer.throttled(_retry_after(response))
            raise TransientError("HTTP 429", _retry_after(response), maybe_applied=False, throttled=True)
        if self._pacer is not None:
            self._pacer.succeeded()
        if response.status_code >= 500:
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
