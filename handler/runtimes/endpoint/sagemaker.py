"""A SageMaker real-time endpoint: `sagemaker-runtime` InvokeEndpoint, with the handler's own AWS
credentials (boto3's default chain: its IAM role), and retries of our own in place of botocore's
so that the attempts are the spec's.

Retried: ThrottlingException, ModelNotReadyException, ServiceUnavailable, InternalFailure,
InternalDependencyException, a 429 or 5xx, a ModelError whose container answered 429 or 5xx, and a
dropped connection or timeout. A ModelError of 4xx (the container refused the input) fails at once
with the container's own message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handler.contract.retry import RetryPolicy, call_with_retries
from handler.runtimes.endpoint.errors import EndpointError, RetryableEndpointError, sanitise

RETRIED_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelNotReadyException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalDependencyException",
    }
)


def make_client(timeout: float, max_in_flight: int) -> Any:
    """A sagemaker-runtime client: one try per call (the retries are ours), a connection per
    request in flight."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=min(timeout, 10.0),
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
        max_pool_connections=max_in_flight,
    )
    return boto3.session.Session().client("sagemaker-runtime", config=config)


class SageMakerSender:
    def __init__(self, client: Any, endpoint_name: str, policy: RetryPolicy) -> None:
        self._client = client
        self._name = endpoint_name
        self._policy = policy

    def __repr__(self) -> str:
        return f"SageMakerSender({self._name!r})"

    def close(self) -> None:
        pass  # the client's pool is botocore's

    def send(self, body: bytes, content_type: str) -> bytes:
        def attempt() -> bytes:
            return self._invoke(body, content_type)

        try:
            return call_with_retries(attempt, f"InvokeEndpoint {self._name}", self._policy)
        except RetryableEndpointError as exc:
            raise EndpointError(f"{exc} (after {self._policy.attempts} attempts)") from None

    def _invoke(self, body: bytes, content_type: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        try:
            answer = self._client.invoke_endpoint(
                EndpointName=self._name, ContentType=content_type, Accept="application/json", Body=body
            )
            data: bytes = answer["Body"].read()
        except ClientError as exc:
            raise _sorted(exc.response) from None
        except (ConnectionError, HTTPClientError) as exc:  # refused, reset, timed out
            raise RetryableEndpointError(f"SageMaker unreachable ({type(exc).__name__})") from None
        except BotoCoreError as exc:  # no credentials, a bad parameter: no retry mends it
            raise EndpointError(f"cannot call SageMaker ({type(exc).__name__})") from None
        return data


def _sorted(response: Mapping[str, Any]) -> Exception:
    """A ClientError's response as the error to raise: retried, or failed with its reason."""
    error = response.get("Error", {})
    code = str(error.get("Code", "?"))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code == "ModelError":
        original = int(response.get("OriginalStatusCode") or 0)
        message = sanitise(str(response.get("OriginalMessage") or error.get("Message") or ""))
        reason = f"the model answered {original or '?'}: {message}"
        if original == 429 or original >= 500:
            return RetryableEndpointError(reason)
        return EndpointError(reason)
    reason = f"{code}: {sanitise(str(error.get('Message', '')))}"
    if code in RETRIED_CODES or status == 429 or status >= 500:
        return RetryableEndpointError(reason)
    return EndpointError(reason)
