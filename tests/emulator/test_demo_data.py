"""The demo seed: layout, ids, and the faces a Haar cascade must find (no server)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import cv2
import numpy as np
import pytest

from infra import demo_data as d

pytestmark = pytest.mark.unit

HEX24 = re.compile(r"^[0-9a-f]{24}$")
HAAR_FACES = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]


def _decode(content: bytes, flags: int) -> Any:
    pixels = cv2.imdecode(np.frombuffer(content, np.uint8), flags)
    assert pixels is not None
    return pixels


def test_layout_and_ids() -> None:
    project = d.demo_project()
    for value in (project["_id"], d.BATCH_A_ID, d.BATCH_B_ID, *(a["_id"] for a in project["assets"])):
        assert HEX24.match(value), value
    layout = Counter(tuple(a["batches"]) for a in project["assets"])
    assert sum(n for batches, n in layout.items() if d.BATCH_A_ID in batches) >= 36
    assert layout[(d.BATCH_B_ID,)] >= 10 and layout[(d.BATCH_A_ID, d.BATCH_B_ID)] >= 2 and layout[()] >= 2
    external = Counter(a["externalId"] for a in project["assets"])
    assert {e for e, n in external.items() if n > 1} == {d.DUPLICATE_EXTERNAL_ID}
    assert external[d.DUPLICATE_EXTERNAL_ID] == 2


def test_images_decode_with_declared_types_and_sizes() -> None:
    for image in d.demo_images():
        pixels = _decode(image.content, cv2.IMREAD_UNCHANGED)
        assert pixels.shape[:2] == (image.height, image.width), image.external_id
        assert image.content_type == ("image/png" if image.external_id.endswith(".png") else "image/jpeg")


def test_every_astronaut_has_one_frontal_face_and_batch_a_has_no_false_ones() -> None:
    cascade = cv2.CascadeClassifier(HAAR_FACES)
    faces = {}
    for image in d.demo_images():
        if d.BATCH_A_ID in image.batches:
            grey = _decode(image.content, cv2.IMREAD_GRAYSCALE)
            found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(30, 30))
            faces[image.external_id] = len(found)
    assert len(d.FACE_EXTERNAL_IDS) >= 6
    assert {e: n for e, n in faces.items() if n} == dict.fromkeys(d.FACE_EXTERNAL_IDS, 1)


def test_bench_project_is_cheap_and_shares_bytes() -> None:
    project = d.bench_project(500)
    assert len(project["assets"]) == 500
    assert len({id(a["content"]) for a in project["assets"]}) <= 4
    assert len({a["externalId"] for a in project["assets"]}) == 500


def test_the_documents_projects_hold_pictures_of_text_under_a_line_tool_with_a_nested_text() -> None:
    (line_tool,) = d.DOCUMENTS_SCHEMA["tools"]
    assert (line_tool["schemaId"], line_tool["tool"]) == (d.TEXT_LINE_SCHEMA_ID, "rotated-bounding-box")
    assert [(c["schemaId"], c["tool"]) for c in line_tool["classifications"]] == [(d.TEXT_SCHEMA_ID, "text")]
    demo = d.documents_project()
    assert [a["externalId"] for a in demo["assets"]] == [
        "document.png",
        "street-sign.png",
        "rotated-line.png",
    ]
    for asset in demo["assets"]:
        assert _decode(asset["content"], cv2.IMREAD_COLOR).shape[:2] == (asset["height"], asset["width"])
    bench = d.documents_bench_seed(7)["projects"][1]
    assert bench["_id"] == d.BENCH_PROJECT_ID and bench["categorySchema"] == d.DOCUMENTS_SCHEMA
    assert len({a["externalId"] for a in bench["assets"]}) == 7
    assert len({id(a["content"]) for a in bench["assets"]}) == 3  # the three pictures, shared
