"""The endpoint model: a batch of images becomes requests (one image each, or the spec's `batch`),
sent at once through a bounded pool of threads over reused connections, and the answers become
predictions. A request that finally fails makes `predict` raise with the endpoint's reason; the
runner then tries the batch's images one by one and fails only the one that fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from handler.contract.model import Image, ModelLoadError, ModelSpec, PredictContext, Prediction
from handler.contract.retry import RetryPolicy
from handler.runtimes.endpoint import sagemaker, v2
from handler.runtimes.endpoint.credentials import secret_headers
from handler.runtimes.endpoint.errors import EndpointError
from handler.runtimes.endpoint.http_json import PictureCodec
from handler.runtimes.endpoint.spec_file import EndpointConfig, EndpointSpecFile
from handler.runtimes.endpoint.transport import Headers, HttpClient, where

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndpointOptions:
    """The process's settings (environment, see __init__.py); tests build them directly."""

    max_in_flight: int = 16
    max_attempts: int | None = None  # None: the spec's endpoint.max_attempts
    secret_id: str | None = None  # a Secrets Manager ARN or name: the HTTP credentials header
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 20.0


class Codec(Protocol):
    content_type: str

    def encode(self, images: Sequence[Image]) -> tuple[bytes, Any]: ...

    def decode(self, body: bytes, state: Any, threshold: float | None) -> list[list[Prediction]]: ...


class Sender(Protocol):
    def send(self, body: bytes, content_type: str) -> bytes: ...

    def close(self) -> None: ...


class _Poster:
    def __init__(self, http: HttpClient, url: str) -> None:
        self._http, self._url = http, url

    def send(self, body: bytes, content_type: str) -> bytes:
        return self._http.post(self._url, body, content_type)

    def close(self) -> None:
        self._http.close()


class EndpointModel:
    # Calls may come from several jobs at once (handler/inference/predict.py): their requests share
    # the one pool below, so at most max_in_flight are on the wire, with no gap between batches.
    concurrent = True

    def __init__(
        self,
        spec: ModelSpec[EndpointConfig],
        codec: Codec,
        sender: Sender,
        per_request: int,
        max_in_flight: int,
        description: str,
    ) -> None:
        self.spec = spec
        self._codec, self._sender, self._per_request = codec, sender, per_request
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="endpoint")
        self.description = description
        # Assets in these formats reach `predict` as their files, sent on as they are.
        self.takes_encoded: frozenset[str] = getattr(codec, "takes_encoded", frozenset())

    def __repr__(self) -> str:
        return f"EndpointModel({self.description})"

    def predict(
        self, images: Sequence[Image], context: PredictContext[EndpointConfig]
    ) -> list[list[Prediction]]:
        step, threshold = self._per_request, context.config.score_threshold
        futures = [
            self._pool.submit(self._request, images[start : start + step], threshold)
            for start in range(0, len(images), step)
        ]
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        if pending:  # one failed: send nothing more, and let those on the wire finish
            for future in pending:
                future.cancel()
            wait(futures)
        # The first failure in the batch's order is raised, with the endpoint's reason.
        return [found for future in futures for found in future.result()]

    def probe(self) -> str:
        """One request with a small blank image: a one-line summary, or the request's error."""
        started = time.monotonic()
        found = self.predict(
            [np.zeros((64, 64, 3), dtype=np.uint8)], PredictContext(EndpointConfig(), "probe")
        )
        took = (time.monotonic() - started) * 1000
        return f"{self.description}: answered in {took:.0f} ms ({len(found[0])} predictions on a blank image)"

    def close(self) -> None:
        """Stop the threads and drop the connections (a worker's model lives as long as it does)."""
        self._pool.shutdown(wait=True)
        self._sender.close()

    def _request(self, images: Sequence[Image], threshold: float | None) -> list[list[Prediction]]:
        body, state = self._codec.encode(images)
        return self._codec.decode(self._sender.send(body, self._codec.content_type), state, threshold)


def build_model(
    spec_file: EndpointSpecFile,
    spec: ModelSpec[EndpointConfig],
    options: EndpointOptions,
    sagemaker_client: Any = None,
    secrets_client: Any = None,
) -> EndpointModel:
    """The model for a spec: the endpoint reached (v2: checked), its codec and its sender."""
    endpoint = spec_file.endpoint
    policy = RetryPolicy(
        attempts=options.max_attempts or endpoint.max_attempts,
        base_delay=options.retry_base_seconds,
        max_delay=options.retry_max_seconds,
    )
    codec: Codec
    sender: Sender
    if endpoint.kind == "sagemaker":
        client = sagemaker_client or sagemaker.make_client(endpoint.timeout_seconds, options.max_in_flight)
        sender = sagemaker.SageMakerSender(client, endpoint.name or "", policy)
        codec = _codec(spec_file)
        description = f"SageMaker endpoint {endpoint.name!r}"
    else:
        headers = Headers()
        if options.secret_id:
            headers = secret_headers(options.secret_id, endpoint.secret_header, secrets_client)
        http = HttpClient(headers, endpoint.timeout_seconds, policy, options.max_in_flight)
        if endpoint.kind == "v2":
            codec, url = v2.connect(http, spec_file), f"{v2.model_url(endpoint)}/infer"
        else:
            codec, url = _codec(spec_file), endpoint.url or ""
            _probe_url(http, endpoint.probe_url)
        sender = _Poster(http, url)
        description = f"{endpoint.kind} endpoint {where(url)}"
    logger.info(
        "endpoint model: %s, %s requests of %d image(s), %d in flight, %d attempts%s",
        description,
        spec_file.request.encoding,
        spec_file.images_per_request,
        options.max_in_flight,
        policy.attempts,
        ", credentials from Secrets Manager" if options.secret_id and endpoint.kind != "sagemaker" else "",
    )
    return EndpointModel(
        spec, codec, sender, spec_file.images_per_request, options.max_in_flight, description
    )


def _codec(spec_file: EndpointSpecFile) -> Codec:
    if spec_file.tensors:
        return v2.codec_without_metadata(spec_file)
    return PictureCodec(spec_file.request, spec_file.json_output, spec_file.classes)


def _probe_url(http: HttpClient, url: str | None) -> None:
    if url is None:
        return
    try:
        answer = http.get(url)
    except EndpointError as exc:
        raise ModelLoadError(f"the endpoint's probe_url {where(url)}: {exc}") from None
    if not 200 <= answer.status < 300:
        raise ModelLoadError(f"the endpoint's probe_url {where(url)}: {http.failure(answer)}")
