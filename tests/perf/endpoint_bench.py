"""The endpoint model's throughput against an endpoint of fixed latency: `.venv/bin/python -m
tests.perf.endpoint_bench [--images 160] [--latency 0.2] [--in-flight 16]`.

A loopback HTTP endpoint answers every request after `latency` seconds; the endpoint model (plain
HTTP, one JPEG per request) runs `predict` over the images with `in-flight` requests at once. With
nothing else in the way, N in flight give N / latency assets per second; the target is 90 % of that
(72/s for 16 in flight at 200 ms). The runner calls `predict` once per batch of the run's
`batch_size` (Config JSON, default 8), and a call's requests are all that is in flight, so the
figures are given for one call of all the images and for calls of 16 and of 8. Prints; asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.queues import Queue
from pathlib import Path

import numpy as np

from handler.contract.model import Image, ModelSpec, PredictContext
from handler.runtimes.endpoint.model import EndpointModel, EndpointOptions, build_model
from handler.runtimes.endpoint.spec_file import EndpointConfig, read_spec_file

ANSWER = json.dumps({"predictions": [{"label": "car", "score": 0.9, "box": [10, 20, 110, 80]}]}).encode()


class _Server(ThreadingHTTPServer):
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint
    # Headers and body go out in two writes: with Nagle's algorithm the body would wait for the
    # client's delayed ACK (40 ms on Linux), a cost of this server, not of the model's client.
    disable_nagle_algorithm = True
    latency = 0.2

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.latency)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(latency: float, ports: Queue[int]) -> None:
    _Handler.latency = latency
    server = _Server(("127.0.0.1", 0), _Handler)
    ports.put(server.server_address[1])
    server.serve_forever()


@contextmanager
def fixed_latency_endpoint(latency: float) -> Iterator[str]:
    """The endpoint in a process of its own, as a real one is: it takes no CPU from the client's."""
    context = multiprocessing.get_context("spawn")
    ports: Queue[int] = context.Queue()
    process = context.Process(target=_serve, args=(latency, ports), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=30)}/predict"
    finally:
        process.terminate()
        process.join(timeout=10)


def _model(url: str, in_flight: int, folder: Path) -> EndpointModel:
    spec = {"endpoint": {"kind": "http", "url": url}, "output": {"kind": "json"}, "classes": ["car"]}
    path = folder / "bench-spec.json"
    path.write_text(json.dumps(spec))
    spec_file = read_spec_file(path)
    model_spec = ModelSpec(classes={"car": "bounding-box"}, config=EndpointConfig)
    return build_model(spec_file, model_spec, EndpointOptions(max_in_flight=in_flight))


def _images(count: int) -> list[Image]:
    """640 x 480 pictures with some detail (a JPEG of a flat image costs nothing to encode)."""
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 640 * 480 * 3).reshape(480, 640, 3)
    return [np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8) for _ in range(count)]


def _rate(model: EndpointModel, images: list[Image], per_call: int) -> float:
    context = PredictContext(EndpointConfig(), "bench")
    started = time.perf_counter()
    for start in range(0, len(images), per_call):
        model.predict(images[start : start + per_call], context)
    return len(images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=160)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--in-flight", type=int, default=16)
    args = parser.parse_args()
    ideal = args.in_flight / args.latency
    target = 0.9 * ideal
    images = _images(args.images)
    with fixed_latency_endpoint(args.latency) as url, tempfile.TemporaryDirectory() as folder:
        model = _model(url, args.in_flight, Path(folder))
        try:
            _rate(model, images[: args.in_flight], args.in_flight)  # warm: connections opened
            print(
                f"endpoint latency {args.latency * 1000:.0f} ms, {args.in_flight} in flight, "
                f"{args.images} images of 640x480 (JPEG): ideal {ideal:.1f}/s, target {target:.1f}/s"
            )
            for label, per_call in (
                (f"one predict of {args.images}", args.images),
                ("predict per 16 (batch_size 16)", 16),
                ("predict per 8 (batch_size 8, the default)", 8),
            ):
                rate = _rate(model, images, per_call)
                print(f"  {label:<44} {rate:6.1f} assets/s  ({rate / target:.0%} of target)")
        finally:
            model.close()


if __name__ == "__main__":
    main()
