"""A model that takes JPEG files as they are (the endpoint runtime, sending them on) gets JPEG
assets undecoded, their size from the header, and everything else decoded as before; its boxes
land on the pictures' own pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests import encoded_model
from tests.functional.fakes import FakeHub, HubAsset
from tests.functional.world import World

pytestmark = pytest.mark.unit


def test_jpeg_assets_reach_the_model_as_files_and_png_ones_decoded() -> None:
    assets = [HubAsset("j", "photo.jpg", suffix=".jpg"), HubAsset("p", "drawing.png", suffix=".png")]
    world = World(
        FakeHub(assets, {"categorySchema": {"tools": [{"schemaId": "box", "tool": "bounding-box"}]}}),
        model="tests.encoded_model",
    )
    picture = np.full((48, 64, 3), 90, dtype=np.uint8)
    world.storage.files[assets[0].url] = cv2.imencode(".jpg", picture)[1].tobytes()
    world.storage.files[assets[1].url] = cv2.imencode(".png", picture)[1].tobytes()
    encoded_model.GIVEN.clear()
    world.run_mapped({"Object": "box"})
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 2 of 2 assets with 2 objects"), message
    assert sorted(encoded_model.GIVEN) == ["array", "jpeg file"]
    stored = world.emulator_stored()
    for asset in assets:  # the left half of a 64 x 48 picture, whichever way it came
        (box,) = stored[asset.asset_id]["tools"]
        assert box["bounding-box"] == {"x": 0.0, "y": 0.0, "width": 32.0, "height": 48.0}
