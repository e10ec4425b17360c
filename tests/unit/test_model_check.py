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
