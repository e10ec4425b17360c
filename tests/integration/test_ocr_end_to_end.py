"""The OCR model end to end: pictures of known text (infra/text_pictures.py) in the demo's documents
project, run through listener, SQS and two workers with `ANGO_BATCH_MODEL=ocr`, imported under the
emulator's strict checks. Each text line becomes a rotated box holding the text read in it."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from infra import demo_data
from infra.text_pictures import DrawnLine, all_pictures
from tests.integration.test_end_to_end import finish

pytestmark = pytest.mark.integration
ADAPTER_ENV = {"ANGO_BATCH_MODEL": "ocr"}


def centre(region: dict[str, Any]) -> tuple[float, float]:
    box = region["rotated-bounding-box"]  # turned about its centre: the turn does not move it
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def inside(point: tuple[float, float], line: DrawnLine) -> bool:
    """Whether `point` lies in the line's ink quad (convex, corners clockwise on screen)."""
    corners = line.corners
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        if (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0) < 0:
            return False
    return True


def words(text: str) -> Counter[str]:
    return Counter(re.sub(r"[^\w\s]", "", text).casefold().split())


def test_the_ocr_model_finds_the_words_of_each_picture_as_regions_holding_their_text(emulator, adapter):
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=demo_data.DOCUMENTS_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        # Only the region is mapped: the text read in it fills the tool's one nested text.
        category_schema=[{"schemaId": demo_data.TEXT_LINE_SCHEMA_ID, "modelClass": "text-line"}],
        config_json="{}",
    )
    message = finish(emulator, session, adapter)["responses"][0]["response"]
    assert message.startswith("Pre-labeled 3 of 3 assets") and "0 assets failed" in message, message
    stored = {a["externalId"]: a["answer"] for a in emulator.labels(demo_data.DOCUMENTS_PROJECT_ID)["assets"]}
    drawn = found = answers = 0
    for picture in all_pictures():
        regions = stored[f"{picture.name}.png"]["tools"]
        assert regions and all(r["schemaId"] == demo_data.TEXT_LINE_SCHEMA_ID for r in regions)
        for region in regions:  # each region holds its text in the nested Text classification
            ((text,),) = [[c["answer"] for c in region["classifications"]]]
            assert region["classifications"][0]["schemaId"] == demo_data.TEXT_SCHEMA_ID and text.strip()
            answers += 1
        for line in picture.lines:  # a word counts where a region on its line holds it
            read = sum(
                (words(r["classifications"][0]["answer"]) for r in regions if inside(centre(r), line)),
                Counter(),
            )
            expected = words(line.text)
            drawn += sum(expected.values())
            found += sum((expected & read).values())
    assert found >= 0.9 * drawn, f"{found} of {drawn} words found"
    assert f"with {answers} objects and {answers} classification answers" in message, message
