"""The endpoint runtime (`ANGO_BATCH_MODEL=handler.runtimes.endpoint`): SageMaker through botocore's
Stubber on a real client (the parameters exactly as AWS documents InvokeEndpoint), plain HTTP and v2
against real HTTP servers on loopback (boxes in each format mapped to exact pixels, requests in
flight at once over reused connections, retries of 429 with Retry-After, failures with the
endpoint's short reason), and the credentials header from Secrets Manager kept out of every log
line and exception. A real v2 server (MLServer) is in tests/integration/test_v2_endpoint.py."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import cv2
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

import handler.runtimes.endpoint as endpoint_runtime
from handler.contract.model import (
    BoundingBox,
    EncodedImage,
    Image,
    ModelLoadError,
    PredictContext,
    Prediction,
    Tag,
    load_model_factory,
)
from handler.runtimes.endpoint.errors import BadResponseError, EndpointError
from handler.runtimes.endpoint.model import EndpointModel, EndpointOptions, build_model
from handler.runtimes.endpoint.spec_file import EndpointConfig, read_spec_file

pytestmark = pytest.mark.unit
DEFAULTS = PredictContext(EndpointConfig())
FAST = EndpointOptions(retry_base_seconds=0.01, retry_max_seconds=2.0)
CLASSES = ["car", "bus"]
Reply = tuple[int, dict[str, str], bytes]


# --- a real HTTP endpoint on loopback ------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    port: int  # the client's: one per connection
    at: float


class Endpoint:
    """A threaded HTTP/1.1 server whose answers a test sets (`respond`); it records every request
    and the most it held at once."""

    def __init__(self, respond: Callable[[Seen], Reply], delay: float = 0.0) -> None:
        self.respond, self.delay = respond, delay
        self.seen: list[Seen] = []
        self.most_in_flight = 0
        self._in_flight, self._lock = 0, threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _enter(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: connections are reused
            disable_nagle_algorithm = True  # no 40 ms wait for a delayed ACK between header and body

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                seen = Seen(self.command, self.path, headers, body, self.client_address[1], time.monotonic())
                endpoint._enter(seen)
                try:
                    time.sleep(endpoint.delay)
                    status, extra, data = endpoint.respond(seen)
                finally:
                    endpoint._leave()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # 16 connections at once must not wait in a short backlog


def ok(document: Any) -> Reply:
    return 200, {}, json.dumps(document).encode()


@pytest.fixture
def serve() -> Iterator[Callable[..., Endpoint]]:
    started: list[Endpoint] = []

    def serve(respond: Callable[[Seen], Reply], delay: float = 0.0) -> Endpoint:
        started.append(Endpoint(respond, delay))
        return started[-1]

    yield serve
    for endpoint in started:
        endpoint.close()


Build = Callable[..., EndpointModel]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Build]:
    """`build(spec, options, sagemaker_client=, secrets_client=)`: the model `create()` would make,
    with the test's options and clients; closed afterwards."""
    models: list[EndpointModel] = []

    def build(spec: dict[str, Any], options: EndpointOptions = FAST, **clients: Any) -> EndpointModel:
        path = (
            tmp_path / f"spec-{uuid.uuid4().hex}.json"
        )  # a new file each time: specs are read once per path
        path.write_text(json.dumps(spec))
        monkeypatch.setenv(endpoint_runtime.SPEC_ENV, str(path))
        models.append(
            build_model(read_spec_file(path), endpoint_runtime.load_endpoint_spec(), options, **clients)
        )
        return models[-1]

    yield build
    for model in models:
        model.close()


def _image(width: int, height: int, colour: tuple[int, int, int] = (40, 80, 120)) -> Image:
    return np.full((height, width, 3), colour, dtype=np.uint8)


def _http_spec(url: str, output: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {
        "endpoint": {"kind": "http", "url": url, "max_attempts": 3},
        "output": {"kind": "json", **(output or {})},
        "classes": CLASSES,
        **more,
    }


def _box(x: float, y: float, width: float, height: float) -> BoundingBox:
    return BoundingBox(x=x, y=y, width=width, height=height)


# --- SageMaker -------------------------------------------------------------------------------------


def _sagemaker() -> Any:
    return boto3.client(
        "sagemaker-runtime", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def _answer(document: Any) -> dict[str, Any]:
    data = json.dumps(document).encode()
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentType": "application/json"}


def _jpeg(image: Image, quality: int = 90) -> bytes:
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())


SAGEMAKER_SPEC = {
    "endpoint": {"kind": "sagemaker", "name": "detector-prod", "max_attempts": 5},
    "request": {"encoding": "jpeg", "jpeg_quality": 80},
    "output": {"kind": "json", "items": "predictions", "class": "label", "score": "score", "box": "box"},
    "classes": CLASSES,
}


def test_sagemaker_gets_the_jpeg_with_its_content_types_and_the_boxes_come_back(build: Build):
    image = _image(256, 128)
    client = _sagemaker()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke_endpoint",
            _answer({"predictions": [{"label": "bus", "score": 0.75, "box": [16, 32, 64, 96]}]}),
            {
                "EndpointName": "detector-prod",
                "ContentType": "image/jpeg",
                "Accept": "application/json",
                "Body": _jpeg(image, 80),
            },
        )
        found = build(SAGEMAKER_SPEC, sagemaker_client=client).predict([image], DEFAULTS)
        stub.assert_no_pending_responses()
    assert found == [[Prediction(class_name="bus", shape=_box(16, 32, 48, 64), score=0.75)]]


def test_sagemaker_throttling_a_model_not_ready_and_a_5xx_model_error_are_retried(build: Build):
    client = _sagemaker()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ThrottlingException", "Rate exceeded", 400)
        stub.add_client_error("invoke_endpoint", "ModelNotReadyException", "Model is loading", 429)
        stub.add_client_error(
            "invoke_endpoint",
            "ModelError",
            "Received server error (503) from primary",
            424,
            modeled_fields={"OriginalStatusCode": 503, "OriginalMessage": "busy", "LogStreamArn": "arn:x"},
        )
        stub.add_response("invoke_endpoint", _answer({"predictions": []}))
        found = build(SAGEMAKER_SPEC, sagemaker_client=client).predict([_image(32, 32)], DEFAULTS)
        stub.assert_no_pending_responses()
    assert found == [[]]


def test_a_sagemaker_model_error_400_fails_at_once_with_the_containers_message_cut_short(build: Build):
    client = _sagemaker()
    long_message = "image too small: need 32x32 at least; " + "details " * 60 + "Bearer abcdef123456"
    with Stubber(client) as stub:
        stub.add_client_error(
            "invoke_endpoint",
            "ModelError",
            "Received client error (400) from primary with message ...",
            424,
            modeled_fields={
                "OriginalStatusCode": 400,
                "OriginalMessage": long_message,
                "LogStreamArn": "arn:x",
            },
        )
        model = build(SAGEMAKER_SPEC, sagemaker_client=client)
        with pytest.raises(EndpointError) as failed:
            model.predict([_image(8, 8)], DEFAULTS)
        stub.assert_no_pending_responses()  # one call: a 4xx is not retried
    message = str(failed.value)
    assert message.startswith("the model answered 400: image too small: need 32x32 at least; details details")
    assert len(message) == len("the model answered 400: ") + 200 and message.endswith("…")


def test_sagemaker_throttled_past_the_attempts_fails_saying_so(build: Build):
    client = _sagemaker()
    spec = {**SAGEMAKER_SPEC, "endpoint": {"kind": "sagemaker", "name": "detector-prod", "max_attempts": 2}}
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error("invoke_endpoint", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(EndpointError, match=r"^ThrottlingException: Rate exceeded \(after 2 attempts\)$"):
            build(spec, sagemaker_client=client).predict([_image(8, 8)], DEFAULTS)
        stub.assert_no_pending_responses()


def test_sagemaker_json_base64_carries_the_batch_as_instances(build: Build):
    images = [_image(16, 16, (0, 0, 255)), _image(16, 16, (255, 0, 0))]
    spec = {
        **SAGEMAKER_SPEC,
        "request": {"encoding": "json-base64", "image_format": "png"},
        "output": {"kind": "json", "box": None},
        "batch": 2,
    }
    pngs = [base64.b64encode(cv2.imencode(".png", image)[1].tobytes()).decode() for image in images]
    client = _sagemaker()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke_endpoint",
            _answer({"predictions": [[{"label": "car", "score": 0.5}], [{"label": 1, "score": 1}]]}),
            {
                "EndpointName": "detector-prod",
                "ContentType": "application/json",
                "Accept": "application/json",
                "Body": json.dumps({"instances": [{"b64": pngs[0]}, {"b64": pngs[1]}]}).encode(),
            },
        )
        found = build(spec, sagemaker_client=client).predict(images, DEFAULTS)
        stub.assert_no_pending_responses()
    assert found == [
        [Prediction(class_name="car", shape=Tag(), score=0.5)],
        [Prediction(class_name="bus", shape=Tag(), score=1.0)],
    ]


# --- plain HTTP: the JSON mapping ------------------------------------------------------------------

# The same box, x 16..64 and y 32..96 of a 256 x 128 image, in each format the mapping reads.
FORMATS = [
    ({"box_format": "xyxy"}, [16, 32, 64, 96]),
    ({"box_format": "xywh"}, [16, 32, 48, 64]),
    ({"box_format": "cxcywh"}, [40, 64, 48, 64]),
    ({"box_format": "xyxy", "normalized": True}, [0.0625, 0.25, 0.25, 0.75]),
    ({"box_format": "xywh", "normalized": True}, [0.0625, 0.25, 0.1875, 0.5]),
    ({"box_format": "cxcywh", "normalized": True}, [0.15625, 0.5, 0.1875, 0.5]),
]


@pytest.mark.parametrize(("mapping", "box"), FORMATS)
def test_each_box_format_lands_on_the_same_pixels(
    serve, build: Build, mapping: dict[str, Any], box: list[float]
):
    endpoint = serve(lambda seen: ok({"predictions": [{"label": "car", "score": 0.5, "box": box}]}))
    model = build(_http_spec(endpoint.url, mapping))
    assert model.predict([_image(256, 128)], DEFAULTS) == [
        [Prediction(class_name="car", shape=_box(16, 32, 48, 64), score=0.5)]
    ]
    (seen,) = endpoint.seen
    assert (seen.method, seen.headers["content-type"], seen.headers["accept"]) == (
        "POST",
        "image/jpeg",
        "application/json",
    )
    assert cv2.imdecode(np.frombuffer(seen.body, np.uint8), cv2.IMREAD_COLOR).shape == (128, 256, 3)


def test_nested_paths_class_indexes_clipping_and_the_score_threshold(serve, build: Build):
    items = [
        {"cls": 1, "conf": {"value": 0.9}, "geometry": {"bbox": [-10, -20, 30, 40]}},  # clipped
        {"cls": "car", "conf": {"value": 0.2}, "geometry": {"bbox": [1, 1, 5, 5]}},  # under the threshold
        {"cls": "tree", "conf": {"value": 0.9}, "geometry": {"bbox": [1, 1, 5, 5]}},  # not a class
        {"cls": 0, "conf": {"value": 0.6}, "geometry": {"bbox": [300, 10, 400, 20]}},  # wholly outside
        {"cls": 0, "conf": {"value": 0.6}, "geometry": {"bbox": [250, 120, 300, 200]}},
    ]
    endpoint = serve(lambda seen: ok({"result": {"objects": items}}))
    output = {"items": "result.objects", "class": "cls", "score": "conf.value", "box": "geometry.bbox"}
    model = build(_http_spec(endpoint.url, {**output, "min_score": 0.5}))
    assert model.predict([_image(256, 128)], DEFAULTS) == [
        [
            Prediction(class_name="bus", shape=_box(0, 0, 30, 40), score=0.9),
            Prediction(class_name="car", shape=_box(250, 120, 6, 8), score=0.6),
        ]
    ]
    stricter = PredictContext(EndpointConfig(score_threshold=0.7))  # the run's Config JSON wins
    assert [p.class_name for p in model.predict([_image(256, 128)], stricter)[0]] == ["bus"]


def test_a_png_request_carries_the_exact_pixels(serve, build: Build):
    image = np.random.default_rng(7).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    endpoint = serve(lambda seen: ok({"predictions": []}))
    build(_http_spec(endpoint.url, request={"encoding": "png"})).predict([image], DEFAULTS)
    (seen,) = endpoint.seen
    assert seen.headers["content-type"] == "image/png"
    assert np.array_equal(cv2.imdecode(np.frombuffer(seen.body, np.uint8), cv2.IMREAD_COLOR), image)


def test_json_base64_sends_the_specs_batch_per_request_and_reads_one_list_per_instance(serve, build: Build):
    def respond(seen: Seen) -> Reply:
        instances = json.loads(seen.body)["images"]
        widths = [cv2.imdecode(np.frombuffer(base64.b64decode(i), np.uint8), 1).shape[1] for i in instances]
        return ok({"predictions": [[{"label": "car", "score": 1, "box": [0, 0, w, 1]}] for w in widths]})

    endpoint = serve(respond)
    spec = _http_spec(
        endpoint.url,
        request={"encoding": "json-base64", "instances_key": "images", "image_key": None},
        batch=3,
    )
    found = build(spec).predict([_image(10 + i, 8) for i in range(5)], DEFAULTS)
    assert [p.shape for (p,) in found] == [_box(0, 0, 10 + i, 1) for i in range(5)]
    assert sorted(len(json.loads(seen.body)["images"]) for seen in endpoint.seen) == [2, 3]
    assert {seen.headers["content-type"] for seen in endpoint.seen} == {"application/json"}


def test_an_answer_the_mapping_cannot_read_fails_saying_what_it_has(serve, build: Build):
    endpoint = serve(lambda seen: ok({"result": [], "took_ms": 3}))
    with pytest.raises(
        BadResponseError,
        match=r"^the answer has no 'predictions' \(no 'predictions'; its keys: 'result', 'took_ms'\)$",
    ):
        build(_http_spec(endpoint.url)).predict([_image(8, 8)], DEFAULTS)
    endpoint.respond = lambda seen: ok({"predictions": [{"label": "car", "score": 87, "box": [0, 0, 1, 1]}]})
    with pytest.raises(BadResponseError, match=r"^prediction 0's score 87 is not in 0\.\.1$"):
        build(_http_spec(endpoint.url)).predict([_image(8, 8)], DEFAULTS)


# --- concurrency and retries -----------------------------------------------------------------------


def test_sixteen_images_go_out_at_once_over_connections_that_are_reused(serve, build: Build):
    endpoint = serve(lambda seen: ok({"predictions": []}), delay=0.2)
    model = build(_http_spec(endpoint.url))
    images = [_image(64, 48) for _ in range(16)]
    started = time.monotonic()
    assert model.predict(images, DEFAULTS) == [[]] * 16
    took = time.monotonic() - started
    assert endpoint.most_in_flight == 16
    assert took < 0.6, f"16 requests of 0.2 s took {took:.2f} s"
    model.predict(images, DEFAULTS)
    assert len(endpoint.seen) == 32
    assert len({seen.port for seen in endpoint.seen}) == 16  # the second round reused the first's


def test_the_concurrency_setting_bounds_the_requests_in_flight(serve, build: Build):
    endpoint = serve(lambda seen: ok({"predictions": []}), delay=0.05)
    model = build(_http_spec(endpoint.url), EndpointOptions(max_in_flight=4))
    model.predict([_image(8, 8) for _ in range(12)], DEFAULTS)
    assert (len(endpoint.seen), endpoint.most_in_flight) == (12, 4)


def test_a_429_is_retried_after_the_wait_its_retry_after_asks(serve, build: Build):
    answers = iter([(429, {"Retry-After": "1"}, b'{"error": "slow down"}'), ok({"predictions": []})])
    endpoint = serve(lambda seen: next(answers))
    assert build(_http_spec(endpoint.url)).predict([_image(8, 8)], DEFAULTS) == [[]]
    first, second = endpoint.seen
    assert 0.95 <= second.at - first.at < 1.9


def test_a_503_past_the_attempts_raises_the_endpoints_reason(serve, build: Build):
    endpoint = serve(lambda seen: (503, {"Retry-After": "0"}, b'{"message": "model overloaded"}'))
    with pytest.raises(EndpointError) as failed:
        build(_http_spec(endpoint.url)).predict([_image(8, 8)], DEFAULTS)
    assert str(failed.value) == "the endpoint answered HTTP 503: model overloaded (after 3 attempts)"
    assert len(endpoint.seen) == 3


def test_a_500_fails_at_once_with_a_short_reason(serve, build: Build):
    endpoint = serve(lambda seen: (500, {}, b'{"error": "builtins.ValueError: Found array with dim 4"}'))
    model = build(_http_spec(endpoint.url))
    with pytest.raises(EndpointError) as failed:
        model.predict([_image(8, 8)], DEFAULTS)
    assert str(failed.value) == "the endpoint answered HTTP 500: builtins.ValueError: Found array with dim 4"
    assert len(endpoint.seen) == 1
    endpoint.respond = lambda seen: (
        500,
        {"Content-Type": "text/plain"},
        ("Traceback\n" + "x" * 5000).encode(),
    )
    with pytest.raises(EndpointError) as failed:
        model.predict([_image(8, 8)], DEFAULTS)
    assert str(failed.value) == "the endpoint answered HTTP 500: Traceback " + "x" * 189 + "…"
    traceback = "Traceback (most recent call last):\n" + '  File "x.py", line 1\n' * 300 + "KeyError: 'rgb'\n"
    endpoint.respond = lambda seen: (500, {"Content-Type": "text/plain"}, traceback.encode())
    with pytest.raises(EndpointError, match=r"^the endpoint answered HTTP 500: KeyError: 'rgb'$"):
        model.predict([_image(8, 8)], DEFAULTS)
    endpoint.respond = lambda seen: (500, {"Content-Type": "text/html"}, b"<html><h1>Oops</h1></html>")
    with pytest.raises(EndpointError, match=r"^the endpoint answered HTTP 500$"):
        model.predict([_image(8, 8)], DEFAULTS)


def test_one_failed_request_fails_the_batch_and_the_rest_finish(serve, build: Build):
    def respond(seen: Seen) -> Reply:
        small = cv2.imdecode(np.frombuffer(seen.body, np.uint8), 1).shape[1] == 9
        return (400, {}, b'{"detail": "image 9 px wide"}') if small else ok({"predictions": []})

    endpoint = serve(respond, delay=0.05)
    model = build(_http_spec(endpoint.url))
    with pytest.raises(EndpointError, match=r"^the endpoint answered HTTP 400: image 9 px wide$"):
        model.predict([_image(8, 8), _image(9, 8), _image(10, 8)], DEFAULTS)
    assert model.predict([_image(8, 8)], DEFAULTS) == [[]]  # image by image, the good ones pass


def test_a_refused_connection_is_retried_then_fails(build: Build):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    model = build(
        _http_spec(f"http://127.0.0.1:{port}"), EndpointOptions(max_attempts=2, retry_base_seconds=0.01)
    )
    with pytest.raises(EndpointError, match=r"^cannot connect \(NewConnectionError\) \(after 2 attempts\)$"):
        model.predict([_image(8, 8)], DEFAULTS)


# --- credentials from Secrets Manager --------------------------------------------------------------

TOKEN = "tok-9f8e7d6c5b4a"


def _secrets(secret_id: str, value: str) -> tuple[Any, Stubber]:
    client = boto3.client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    stub = Stubber(client)
    stub.add_response(
        "get_secret_value",
        {"ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret_id}", "Name": secret_id,
         "SecretString": value},
        {"SecretId": secret_id},
    )  # fmt: skip
    stub.activate()
    return client, stub


def _log_everything(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG everywhere, the loggers the handler quiets too (handler/contract/logs.py's QUIET)."""
    for name in (None, "botocore", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)


def test_the_secret_header_is_sent_and_never_logged_or_raised(serve, build: Build, caplog):
    _log_everything(caplog)
    secret_id = f"ango/endpoint-{uuid.uuid4().hex}"
    echo = {"on": False}

    def respond(seen: Seen) -> Reply:  # a careless server that quotes the request in its errors
        if echo["on"]:
            return 401, {}, json.dumps({"error": f"bad credentials {seen.headers['authorization']}"}).encode()
        return ok({"predictions": []})

    endpoint = serve(respond)
    client, stub = _secrets(secret_id, f"Bearer {TOKEN}")
    model = build(_http_spec(endpoint.url), EndpointOptions(secret_id=secret_id), secrets_client=client)
    model.predict([_image(8, 8)], DEFAULTS)
    assert endpoint.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    echo["on"] = True
    with pytest.raises(EndpointError) as failed:
        model.predict([_image(8, 8)], DEFAULTS)
    assert str(failed.value) == "the endpoint answered HTTP 401: bad credentials [REDACTED]"
    again = build(_http_spec(endpoint.url), EndpointOptions(secret_id=secret_id))  # no second fetch
    stub.assert_no_pending_responses()
    echo["on"] = False
    again.predict([_image(8, 8)], DEFAULTS)
    assert endpoint.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(model) + repr(model._sender) + repr(vars(model._sender))


def test_a_json_secret_sets_the_headers_it_names(serve, build: Build):
    secret_id = f"ango/endpoint-{uuid.uuid4().hex}"
    endpoint = serve(lambda seen: ok({"predictions": []}))
    client, _ = _secrets(secret_id, json.dumps({"x-api-key": TOKEN, "x-tenant": "acme"}))
    model = build(_http_spec(endpoint.url), EndpointOptions(secret_id=secret_id), secrets_client=client)
    model.predict([_image(8, 8)], DEFAULTS)
    (seen,) = endpoint.seen
    assert (seen.headers["x-api-key"], seen.headers["x-tenant"], "authorization" in seen.headers) == (
        TOKEN,
        "acme",
        False,
    )


def test_a_missing_secret_refuses_the_model_naming_the_secret_not_a_value(build: Build):
    secret_id = f"ango/endpoint-{uuid.uuid4().hex}"
    client = boto3.client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    with Stubber(client) as stub:
        stub.add_client_error("get_secret_value", "ResourceNotFoundException", "not found", 400)
        with pytest.raises(
            ModelLoadError,
            match=rf"^cannot read the endpoint's secret '{secret_id}': ResourceNotFoundException$",
        ):
            build(
                _http_spec("http://127.0.0.1:9"), EndpointOptions(secret_id=secret_id), secrets_client=client
            )


def test_a_secret_value_no_header_can_carry_is_refused_without_quoting_it(build: Build):
    secret_id = f"ango/endpoint-{uuid.uuid4().hex}"
    client, _ = _secrets(secret_id, json.dumps({"Authorization": f"Bearer {TOKEN}\nX-Injected: 1"}))
    with pytest.raises(ModelLoadError) as refused:
        build(_http_spec("http://127.0.0.1:9"), EndpointOptions(secret_id=secret_id), secrets_client=client)
    assert (
        str(refused.value)
        == f"the endpoint's secret '{secret_id}': header 'Authorization' has an unusable value"
    )


def test_botocores_debug_log_of_the_real_secrets_manager_answer_does_not_carry_it(
    serve, build: Build, caplog
):
    """Over real HTTP (a loopback Secrets Manager), botocore logs response bodies at DEBUG."""
    _log_everything(caplog)
    secret_id = f"ango/endpoint-{uuid.uuid4().hex}"
    answer = {"ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret_id}", "Name": secret_id,
              "SecretString": f"Bearer {TOKEN}", "VersionId": "v1"}  # fmt: skip
    secrets_manager = serve(
        lambda seen: (200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(answer).encode())
    )
    model_endpoint = serve(lambda seen: ok({"predictions": []}))
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=secrets_manager.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    build(
        _http_spec(model_endpoint.url), EndpointOptions(secret_id=secret_id), secrets_client=client
    ).predict([_image(8, 8)], DEFAULTS)
    (call,) = secrets_manager.seen
    assert call.headers["x-amz-target"] == "secretsmanager.GetSecretValue"
    assert model_endpoint.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "GetSecretValue" in caplog.text  # botocore did log the call at DEBUG
    assert TOKEN not in caplog.text


# --- v2 (Open Inference Protocol) against a fake v2 server -------------------------------------------


def _v2_server(serve, metadata: dict[str, Any], infer: Callable[[dict[str, Any]], Any]) -> Endpoint:
    def respond(seen: Seen) -> Reply:
        if seen.path == "/v2/models/det/ready":
            return 200, {}, b""
        if seen.path == "/v2/models/det":
            return ok(metadata)
        if seen.path == "/v2/models/det/infer":
            return ok(infer(json.loads(seen.body)))
        if seen.path == "/v2/repository/index":
            return ok([{"name": "det", "version": "1", "state": "READY", "reason": ""}])
        return 404, {}, json.dumps({"error": f"Model {seen.path.split('/')[3]} not found"}).encode()

    return serve(respond)


DETECTOR_METADATA = {
    "name": "det",
    "inputs": [{"name": "images", "datatype": "FP32", "shape": [-1, 3, 64, 64]}],
    "outputs": [
        {"name": "boxes", "datatype": "FP32", "shape": [-1, -1, 4]},
        {"name": "scores", "datatype": "FP32", "shape": [-1, -1]},
        {"name": "labels", "datatype": "INT64", "shape": [-1, -1]},
    ],
}


def _v2_spec(url: str, **more: Any) -> dict[str, Any]:
    return {
        "endpoint": {"kind": "v2", "url": url, "name": "det"},
        "input": {"size": [64, 64]},
        "output": {"kind": "detections", "layout": "nms"},
        "classes": CLASSES,
        **more,
    }


def test_v2_letterboxes_with_the_onnx_plan_and_maps_the_nms_boxes_back_to_pixels(serve, build: Build):
    def infer(request: dict[str, Any]) -> Any:
        (tensor,) = request["inputs"]
        n = tensor["shape"][0]
        return {
            "outputs": [
                {"name": "boxes", "datatype": "FP32", "shape": [n, 1, 4], "data": [4, 20, 16, 28] * n},
                {"name": "scores", "datatype": "FP32", "shape": [n, 1], "data": [0.875] * n},
                {"name": "labels", "datatype": "INT64", "shape": [n, 1], "data": [1] * n},
            ]
        }

    server = _v2_server(serve, DETECTOR_METADATA, infer)
    model = build(_v2_spec(server.url, batch=2))
    # 256 x 128 into 64 x 64: scale 0.25, 64 x 32 with 16 rows of border above and below.
    found = model.predict([_image(256, 128), _image(256, 128), _image(256, 128)], DEFAULTS)
    assert found == [[Prediction(class_name="bus", shape=_box(16, 16, 48, 32), score=0.875)]] * 3
    assert [seen.path for seen in server.seen[:2]] == ["/v2/models/det/ready", "/v2/models/det"]
    requests = sorted(
        (json.loads(seen.body) for seen in server.seen[2:]), key=lambda r: -r["inputs"][0]["shape"][0]
    )
    assert [r["inputs"][0]["shape"] for r in requests] == [[2, 3, 64, 64], [1, 3, 64, 64]]
    first = requests[0]
    assert (first["inputs"][0]["name"], first["inputs"][0]["datatype"], len(first["inputs"][0]["data"])) == (
        "images",
        "FP32",
        2 * 3 * 64 * 64,
    )
    assert first["outputs"] == [{"name": "boxes"}, {"name": "scores"}, {"name": "labels"}]
    pixels = np.asarray(first["inputs"][0]["data"], dtype=np.float32).reshape(2, 3, 64, 64)
    assert pixels[0, :, 0, 0].tolist() == pytest.approx([114 / 255] * 3)  # the letterbox's grey
    assert pixels[0, :, 32, 32].tolist() == pytest.approx([120 / 255, 80 / 255, 40 / 255])  # RGB


def test_v2_refuses_at_start_a_model_whose_shapes_differ_from_the_spec_saying_both(serve, build: Build):
    metadata = {
        **DETECTOR_METADATA,
        "inputs": [{"name": "images", "datatype": "FP32", "shape": [-1, 3, 32, 32]}],
    }
    server = _v2_server(serve, metadata, lambda request: {})
    with pytest.raises(ModelLoadError) as refused:
        build(_v2_spec(server.url))
    assert str(refused.value) == (
        f"v2 model 'det' at {server.url}: input 'images' has shape [?, 3, 32, 32]: "
        "size [64, 64] (width, height) expects [N, 3, 64, 64]"
    )
    metadata = {**DETECTOR_METADATA, "outputs": DETECTOR_METADATA["outputs"][:2]}
    server = _v2_server(serve, metadata, lambda request: {})
    with pytest.raises(
        ModelLoadError, match=r"output.kind detections reads 3 outputs; the model has 'boxes'"
    ):
        build(_v2_spec(server.url))


def test_v2_refuses_a_model_the_server_does_not_have_naming_those_it_has(serve, build: Build):
    server = _v2_server(serve, DETECTOR_METADATA, lambda request: {})
    spec = _v2_spec(server.url)
    with pytest.raises(ModelLoadError) as refused:
        build({**spec, "endpoint": {**spec["endpoint"], "name": "detector"}})
    assert (
        str(refused.value)
        == f"v2 model 'detector' at {server.url}: no such model; the server has: 'det' (READY)"
    )


def test_a_v2_answer_of_the_wrong_shape_fails_the_batch_saying_so(serve, build: Build):
    bad = {
        "outputs": [
            {"name": n, "datatype": "FP32", "shape": [1, 2], "data": [0, 0]}
            for n in ("boxes", "scores", "labels")
        ]
    }
    server = _v2_server(serve, DETECTOR_METADATA, lambda request: bad)
    with pytest.raises(
        BadResponseError, match=r"^output 0 \('boxes'\) has shape \[1, 2\]: layout nms expects"
    ):
        build(_v2_spec(server.url)).predict([_image(8, 8)], DEFAULTS)


# --- the spec file, the loader and the probe -------------------------------------------------------


HTTP, JSON = {"kind": "http", "url": "http://h"}, {"kind": "json"}
REFUSED = [
    ({"request": {"encoding": "jpeg"}}, "kind v2 sends tensors: request.encoding must be tensor, not jpeg"),
    ({"endpoint": {"kind": "v2", "url": "http://h"}}, "endpoint.name is required for kind v2"),
    (
        {"endpoint": {"kind": "v2", "name": "m", "url": "http://user:pw@h"}},
        "endpoint.url: Value error, must not carry credentials",
    ),
    (
        {"endpoint": {"kind": "sagemaker", "name": "m", "url": "http://h"}},
        "endpoint.url is not used by kind sagemaker",
    ),
    ({"endpoint": HTTP}, "output.kind detections reads tensors: use request.encoding tensor"),
    (
        {"endpoint": HTTP, "request": {"encoding": "tensor"}, "output": JSON},
        "a tensor request's answer is tensors",
    ),
    (
        {"endpoint": HTTP, "request": {"encoding": "png"}, "output": JSON, "batch": 2},
        "a png request carries one picture: batch must be 1",
    ),
    (
        {"endpoint": HTTP, "output": {**JSON, "klass": "x"}},
        "output.json.klass: Extra inputs are not permitted",
    ),
    ({"endpoint": HTTP, "output": JSON}, "input is for tensor requests only"),
    ({"output": {"kind": "segmentation", "background": 5}}, "background 5 is not a class id (0..1)"),
]


@pytest.mark.parametrize(("change", "problem"), REFUSED)
def test_a_spec_that_cannot_work_is_refused_naming_the_problem(
    tmp_path: Path, change: dict[str, Any], problem: str
):
    spec = {**_v2_spec("http://127.0.0.1:1"), **change}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(ModelLoadError) as refused:
        read_spec_file(path)
    assert problem in str(refused.value)


def test_the_loader_reads_the_spec_and_create_reaches_the_endpoint(serve, tmp_path: Path, monkeypatch):
    endpoint = serve(lambda seen: ok({"predictions": [{"label": "car", "score": 0.5, "box": [1, 2, 3, 4]}]}))
    path = tmp_path / "endpoint.yaml"
    path.write_text(
        f"endpoint: {{kind: http, url: '{endpoint.url}/predict', probe_url: '{endpoint.url}/health'}}\n"
        "output: {kind: json}\nclasses: [car, bus]\n"
    )
    monkeypatch.setenv(endpoint_runtime.SPEC_ENV, str(path))
    monkeypatch.setenv(endpoint_runtime.CONCURRENCY_ENV, "4")
    factory = load_model_factory("handler.runtimes.endpoint")
    assert factory.spec.classes == {"car": "bounding-box", "bus": "bounding-box"}
    summary = endpoint_runtime.probe()
    assert [(seen.method, seen.path) for seen in endpoint.seen] == [("GET", "/health"), ("POST", "/predict")]
    assert summary.startswith(f"http endpoint {endpoint.url}/predict: answered in ")
    assert summary.endswith(" ms (1 predictions on a blank image)")
    monkeypatch.setenv(endpoint_runtime.CONCURRENCY_ENV, "lots")
    with pytest.raises(ModelLoadError, match=r"^ANGO_BATCH_ENDPOINT_CONCURRENCY must be a whole number"):
        factory()


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "examples" / "endpoint").glob("*-spec.*"))
)
def test_each_example_spec_reads(path: Path):
    spec = read_spec_file(path)
    assert path.name.startswith(spec.endpoint.kind)


def test_an_assets_own_jpeg_goes_to_the_endpoint_as_it_is_and_a_png_is_encoded(serve, build: Build):
    """The runner hands this model JPEG assets as their files (`takes_encoded`): the endpoint gets
    the very bytes Hub holds, no decode and encode again; a PNG is decoded and sent as a JPEG."""
    endpoint = serve(
        lambda seen: ok({"predictions": [{"label": "car", "score": 0.5, "box": [1, 2, 11, 22]}]})
    )
    model = build(_http_spec(endpoint.url))
    assert model.takes_encoded == frozenset({"jpeg"})
    jpeg = cv2.imencode(".jpg", _image(64, 48), [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()
    png = cv2.imencode(".png", _image(64, 48))[1].tobytes()
    found = model.predict([EncodedImage(jpeg, "jpeg", 64, 48), EncodedImage(png, "png", 64, 48)], DEFAULTS)
    assert found == [[Prediction(class_name="car", shape=_box(1, 2, 10, 20), score=0.5)]] * 2
    bodies = sorted((seen.body for seen in endpoint.seen), key=len)
    assert jpeg in bodies  # as it was
    (other,) = [body for body in bodies if body != jpeg]
    assert other.startswith(b"\xff\xd8\xff") and png not in bodies  # the PNG went as a JPEG
