"""HTTP to a served model: one connection pool sized to the requests in flight, explicit timeouts,
and retries with backoff and jitter for what is worth retrying (429, 502, 503, 504, a dropped or
refused connection, a timeout), honouring Retry-After. Anything else fails at once with the
endpoint's reason (errors.py): the runner retries a failed batch image by image anyway.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from handler.contract.retry import RetryPolicy, call_with_retries
from handler.runtimes.endpoint.errors import EndpointError, RetryableEndpointError, body_reason, sanitise

RETRIED_STATUSES = frozenset({429, 502, 503, 504})


class Headers:
    """Request headers that may hold credentials: never shown by repr, str or a log line."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._values.values())

    def __repr__(self) -> str:
        return f"Headers({', '.join(self._values)}: values hidden)"

    __str__ = __repr__


def where(url: str) -> str:
    """A URL as it may be logged: scheme, host, port and path; no query, no user info."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class HttpClient:
    """Calls to one endpoint over a shared urllib3 pool; `post` and `get` retry per `policy`."""

    def __init__(
        self,
        headers: Headers,
        timeout: float,
        policy: RetryPolicy,
        max_in_flight: int,
    ) -> None:
        import urllib3

        self._urllib3 = urllib3
        self._headers = headers
        self._timeout = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        self._policy = policy
        # One pool per host, holding as many connections as requests in flight: each is reused.
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=max_in_flight, retries=False)

    def __repr__(self) -> str:
        return f"HttpClient({self._headers!r})"

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        """The answer's body; EndpointError with the endpoint's reason when it finally fails."""
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        answer = self._call("POST", url, body, headers)
        if not 200 <= answer.status < 300:
            raise self.failure(answer)
        return answer.body

    def close(self) -> None:
        self._pool.clear()

    def get(self, url: str) -> Answer:
        """A GET whose status the caller reads (a probe: 404 means something there)."""
        return self._call("GET", url, None, {"Accept": "application/json"})

    def failure(self, answer: Answer) -> EndpointError:
        reason = sanitise(body_reason(answer.body), self._headers.secrets)
        return EndpointError(
            f"the endpoint answered HTTP {answer.status}" + (f": {reason}" if reason else "")
        )

    def _call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        def attempt() -> Answer:
            return self._once(method, url, body, headers)

        try:
            return call_with_retries(attempt, f"{method} {where(url)}", self._policy)
        except RetryableEndpointError as exc:
            raise EndpointError(f"{exc} (after {self._policy.attempts} attempts)") from None

    def _once(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        errors = self._urllib3.exceptions
        try:
            response = self._pool.request(
                method,
                url,
                body=body,
                headers={**self._headers.as_dict(), **headers},
                timeout=self._timeout,
                redirect=False,
            )
        except errors.NewConnectionError:  # before TimeoutError: a subclass of it
            raise RetryableEndpointError("cannot connect (NewConnectionError)") from None
        except errors.ProtocolError:
            raise RetryableEndpointError("the connection dropped (ProtocolError)") from None
        except errors.TimeoutError:
            raise RetryableEndpointError(f"no answer within {self._timeout.read_timeout} s") from None
        except errors.SSLError as exc:
            raise EndpointError(f"TLS failed: {sanitise(str(exc), self._headers.secrets)}") from None
        except errors.HTTPError as exc:
            raise EndpointError(f"the request failed ({type(exc).__name__})") from None
        answer = Answer(response.status, response.data)
        if answer.status in RETRIED_STATUSES:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            raise RetryableEndpointError(str(self.failure(answer)), retry_after=retry_after)
        return answer


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
