"""`ango-batch check` on the model: it loads and predicts on a blank image, which for the `onnx`
runtime means the file fits its spec (README, Bring your model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handler.contract.settings import Settings
from handler.runtimes import onnx as onnx_runtime
from listener.preflight import model_check
from tests.unit import onnx_nets

pytestmark = pytest.mark.unit


def onnx_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, classes: list[str]) -> Settings:
    onnx_nets.channel_mean_classifier(tmp_path / "colour.onnx", onnx_nets.RED_BLUE)
    spec = {"model": "colour.onnx", "output": {"kind": "classification"}, "classes": classes}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(tmp_path / "spec.json"))
    monkeypatch.delenv(onnx_runtime.MODEL_ENV, raising=False)
    return Settings(ANGO_BATCH_MODEL="onnx")


def test_an_onnx_file_that_fits_its_spec_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = model_check(onnx_settings(tmp_path, monkeypatch, ["red", "blue"]))
    assert check.ok, check.detail
    said = "loads and predicts (1 objects on a blank image); classes: red, blue"
    assert check.line() == f"ok    model 'onnx': {said}"


def test_an_onnx_file_that_does_not_fit_its_spec_fails_saying_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = model_check(onnx_settings(tmp_path, monkeypatch, ["red", "green", "blue"]))
    assert not check.ok
    assert check.detail.startswith("does not load or predict (ModelLoadError: ")
    assert "3 classes" in check.detail and "[N, 2]" in check.detail, check.detail


def test_plugin_info_reads_an_onnx_models_classes_from_its_spec_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from listener.cli import main

    onnx_settings(tmp_path, monkeypatch, ["red", "blue"])
    (tmp_path / "colour.onnx").unlink()  # the listener reads the spec file, never the network
    monkeypatch.setenv("ANGO_BATCH_MODEL", "onnx")
    main(["plugin-info"])
    said = capsys.readouterr().out
    assert "red\nblue\n" in said
    assert "red: tag -> an option of a radio" in said


def test_an_endpoint_that_answers_passes_and_one_that_does_not_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from handler.runtimes import endpoint as endpoint_runtime

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"predictions": [{"label": "car", "score": 0.9, "box": [1, 1, 9, 9]}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/predict"
        spec = {
            "endpoint": {"kind": "http", "url": url, "max_attempts": 1, "timeout_seconds": 2},
            "output": {"kind": "json"},
            "classes": ["car"],
        }
        (tmp_path / "endpoint.json").write_text(json.dumps(spec))
        monkeypatch.setenv(endpoint_runtime.SPEC_ENV, str(tmp_path / "endpoint.json"))
        check = model_check(Settings(ANGO_BATCH_MODEL="endpoint"))
        assert check.ok and "loads and predicts (1 objects on a blank image); classes: car" in check.detail
    finally:
        server.shutdown()
        server.server_close()
    check = model_check(Settings(ANGO_BATCH_MODEL="endpoint"))  # nothing answers there now
    assert not check.ok and check.detail.startswith("does not load or predict (EndpointError: "), check.detail
