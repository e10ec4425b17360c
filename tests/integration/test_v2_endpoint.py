"""The endpoint runtime against a real v2 server: MLServer (from .venv-mlserver, pinned in
infra/mlserver-requirements.txt) serving a scikit-learn LogisticRegression that tells red from blue
by an image's colour.

The spec resizes each image to 1 x 1 (its colour), RGB, scaled to 0..1, and flattens it: the
sklearn runtime takes a [N, 3] table, not an image tensor. The model's settings declare that input
and its `predict_proba` output, so the start-up check has something to compare the spec with.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

import handler.runtimes.endpoint as endpoint_runtime
from handler.contract.model import Image, ModelLoadError, PredictContext
from handler.runtimes.endpoint.errors import EndpointError
from handler.runtimes.endpoint.model import EndpointModel
from handler.runtimes.endpoint.spec_file import EndpointConfig

ROOT = Path(__file__).resolve().parents[2]
MLSERVER_BIN = ROOT / ".venv-mlserver" / "bin"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (MLSERVER_BIN / "mlserver").exists(),
        reason="MLServer not installed: run `make .venv-mlserver/.installed`",
    ),
]
DEFAULTS = PredictContext(EndpointConfig())
RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR, as the runner gives images

# Run by .venv-mlserver's Python (scikit-learn lives there): colours near red are 0, near blue 1.
TRAIN = """
import sys

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(0)
red = np.clip(rng.normal([0.9, 0.1, 0.1], 0.08, (50, 3)), 0, 1)
blue = np.clip(rng.normal([0.1, 0.1, 0.9], 0.08, (50, 3)), 0, 1)
model = LogisticRegression(C=100).fit(np.vstack([red, blue]), [0] * 50 + [1] * 50)
joblib.dump(model, sys.argv[1])
"""
MODEL_SETTINGS = {
    "name": "colour",
    "implementation": "mlserver_sklearn.SKLearnModel",
    "inputs": [{"name": "rgb", "datatype": "FP32", "shape": [-1, 3]}],
    "outputs": [{"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]}],
    "parameters": {"uri": "./model.joblib", "version": "v1"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mlserver exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"mlserver not ready after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def mlserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MLServer on a free loopback port with the colour model loaded; stopped afterwards."""
    root = tmp_path_factory.mktemp("mlserver")
    (root / "colour").mkdir()
    python = MLSERVER_BIN / "python"
    subprocess.run([python, "-c", TRAIN, str(root / "colour" / "model.joblib")], check=True, timeout=120)
    (root / "colour" / "model-settings.json").write_text(json.dumps(MODEL_SETTINGS))
    port = _free_port()
    # parallel_workers 0: the model runs in the server's process (no worker pool to start).
    settings = {"host": "127.0.0.1", "http_port": port, "grpc_port": _free_port(), "parallel_workers": 0}
    (root / "settings.json").write_text(json.dumps({**settings, "metrics_port": _free_port()}))
    log = root / "mlserver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [MLSERVER_BIN / "mlserver", "start", str(root)], stdout=out, stderr=out, cwd=root
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


Create = Callable[..., EndpointModel]


@pytest.fixture
def create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Create]:
    """`create(spec)`: the model `ANGO_BATCH_MODEL=handler.runtimes.endpoint` makes from that spec."""
    for name in (
        endpoint_runtime.SECRET_ENV,
        endpoint_runtime.CONCURRENCY_ENV,
        endpoint_runtime.ATTEMPTS_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    models: list[EndpointModel] = []
    count = iter(range(1000))

    def create(spec: dict[str, Any]) -> EndpointModel:
        path = tmp_path / f"spec{next(count)}.json"  # a new file each time: specs are read once per path
        path.write_text(json.dumps(spec))
        monkeypatch.setenv(endpoint_runtime.SPEC_ENV, str(path))
        models.append(endpoint_runtime.create())
        return models[-1]

    yield create
    for model in models:
        model.close()


def _spec(url: str, **endpoint: Any) -> dict[str, Any]:
    """README's example, examples/endpoint/v2-colours.json (MLServer's scikit-learn model of the
    colour of a picture), at this server's URL."""
    spec: dict[str, Any] = json.loads((ROOT / "examples" / "endpoint" / "v2-colours.json").read_text())
    return {**spec, "endpoint": {**spec["endpoint"], "url": url, **endpoint}}


def _image(colour: tuple[int, int, int], width: int = 40, height: int = 30) -> Image:
    return np.full((height, width, 3), colour, dtype=np.uint8)


def test_a_red_image_is_red_and_a_blue_one_blue(mlserver: str, create: Create):
    model = create({**_spec(mlserver), "batch": 2})
    found = model.predict([_image(RED), _image(BLUE, 7, 5), _image((20, 10, 230))], DEFAULTS)
    assert [[p.class_name for p in image] for image in found] == [["red"], ["blue"], ["red"]]
    assert all(p.score is not None and p.score > 0.95 for image in found for p in image)


def test_a_pinned_version_is_asked_for_on_its_own_path(mlserver: str, create: Create):
    model = create(_spec(mlserver, version="v1"))
    assert [p.class_name for p in model.predict([_image(BLUE)], DEFAULTS)[0]] == ["blue"]
    with pytest.raises(
        ModelLoadError, match=r"v2 model 'colour' at .*: no such model; the server has: 'colour'"
    ):
        create(_spec(mlserver, version="v9"))


def test_the_probe_checks_readiness_and_metadata_then_sends_a_blank_image(
    mlserver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(_spec(mlserver)))
    monkeypatch.setenv(endpoint_runtime.SPEC_ENV, str(path))
    summary = endpoint_runtime.probe()
    assert summary.startswith(f"v2 endpoint {mlserver}/v2/models/colour/infer: answered in ")
    assert summary.endswith(" ms (1 predictions on a blank image)"), summary


def test_a_model_name_the_server_lacks_is_refused_naming_what_it_has(mlserver: str, create: Create):
    with pytest.raises(ModelLoadError) as refused:
        create(_spec(mlserver, name="color"))
    assert (
        str(refused.value)
        == f"v2 model 'color' at {mlserver}: no such model; the server has: 'colour' (READY)"
    )


def test_a_spec_whose_input_the_model_cannot_take_is_refused_saying_both(mlserver: str, create: Create):
    spec = _spec(mlserver)
    with pytest.raises(ModelLoadError) as refused:
        create({**spec, "input": {**spec["input"], "size": [2, 2]}})
    assert str(refused.value) == (
        f"v2 model 'colour' at {mlserver}: input 'rgb' [?, 3] FP32: request.flatten sends [N, 12] "
        "(input.size 2x2, 3 channels)"
    )
    with pytest.raises(ModelLoadError) as refused:
        create({**spec, "output": {**spec["output"], "outputs": ["predict"]}})
    assert str(refused.value) == (
        f"v2 model 'colour' at {mlserver}: output 'predict' is not an output of the model; "
        "its outputs: 'predict_proba' [?, 2] FP64"
    )
    with pytest.raises(ModelLoadError) as refused:
        create({**spec, "classes": ["red", "green", "blue"]})
    assert str(refused.value) == (
        f"v2 model 'colour' at {mlserver}: output 0 ('predict_proba') has shape [?, 2]: "
        "kind classification expects [N, 3 classes] = [N, 3]"
    )


def test_the_servers_own_error_fails_the_batch_with_its_reason(mlserver: str, create: Create):
    """A tensor request to the plain-HTTP kind skips the metadata check: MLServer's sklearn runtime
    refuses the unflattened [N, 1, 1, 3] image tensor itself, answering 500 with a traceback (its
    in-process mode) whose last line is the reason."""
    spec = _spec(mlserver)
    spec["endpoint"] = {"kind": "http", "url": f"{mlserver}/v2/models/colour/infer"}
    spec["request"] = {"encoding": "tensor"}
    spec["output"] = {**spec["output"], "outputs": ["predict_proba"]}
    model = create(spec)
    with pytest.raises(EndpointError) as failed:
        model.predict([_image(RED)], DEFAULTS)
    assert str(failed.value) == (
        "the endpoint answered HTTP 500: ValueError: Found array with dim 4, "
        "while dim <= 2 is required by LogisticRegression."
    )
