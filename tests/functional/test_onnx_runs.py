"""`ANGO_BATCH_MODEL=onnx` through a whole run on the fakes: the listener reads the classes from the
spec file, the worker runs the network on ONNX Runtime, and its answers fill the mapped options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from handler.runtimes import onnx as onnx_runtime
from infra import demo_data
from tests.functional.fakes import FakeHub
from tests.functional.world import World, hub_assets
from tests.unit import onnx_nets

pytestmark = pytest.mark.unit
PROJECT = {
    "type": "ango",
    "categorySchema": {
        "classifications": [
            {
                "schemaId": "colour",
                "title": "Colour",
                "tool": "radio",
                "options": [{"value": "Red", "schemaId": "o1"}, {"value": "Blue", "schemaId": "o2"}],
            }
        ]
    },
}


def test_an_onnx_classifier_named_by_its_spec_file_answers_each_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = onnx_nets.channel_mean_classifier(tmp_path / "colour.onnx", onnx_nets.RED_BLUE)
    spec = {
        "model": net.name,
        "input": {"size": [8, 8]},
        "output": {"kind": "classification"},
        "classes": ["red", "blue"],
    }
    (tmp_path / "colour.json").write_text(json.dumps(spec))
    monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(tmp_path / "colour.json"))
    monkeypatch.delenv(onnx_runtime.MODEL_ENV, raising=False)
    world = World(FakeHub(hub_assets(2), PROJECT), model="onnx")
    red, blue = (np.full((30, 40, 3), colour, dtype=np.uint8) for colour in ((255, 0, 0), (0, 0, 255)))  # RGB
    world.storage.files[world.hub.assets[0].url] = demo_data.encode(red, "PNG")
    world.storage.files[world.hub.assets[1].url] = demo_data.encode(blue, "PNG")
    world.run_mapped({"red": "colour", "blue": "colour"}, model={})
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 2 of 2 assets"), message
    stored = world.emulator_stored()
    assert [stored[a.asset_id]["classifications"] for a in world.hub.assets] == [
        [{"schemaId": "colour", "answer": "Red"}],
        [{"schemaId": "colour", "answer": "Blue"}],
    ]
