"""The text model end to end: the demo's texts project (two texts with known entities, a picture
and a PDF) run through listener, SQS and two workers with `ANGO_BATCH_MODEL=entities`, imported
under the emulator's strict checks (`ner` only on text assets, offsets within the text)."""

from __future__ import annotations

import pytest

from infra import demo_data
from tests.integration.test_end_to_end import (
    MIXED_ASSETS,
    MIXED_PROJECT_ID,
    file_downloads,
    finish,
    seed_mixed_project,
)

pytestmark = pytest.mark.integration
ADAPTER_ENV = {"ANGO_BATCH_MODEL": "entities"}


def test_texts_get_their_entities_as_spans_and_the_other_media_are_counted_not_downloaded(emulator, adapter):
    emulator.reset_stats()
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=demo_data.TEXTS_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=[{"schemaId": s, "modelClass": c} for c, s in demo_data.ENTITY_SCHEMA_IDS.items()],
        config_json="{}",
    )
    message = finish(emulator, session, adapter)["responses"][0]["response"]
    expected_objects = sum(len(entities) for _, entities in demo_data.TEXTS.values())
    assert message.startswith(f"Pre-labeled 2 of 4 assets with {expected_objects} objects"), message
    assert "2 assets skipped (1 document, 1 image)" in message and "0 assets failed" in message, message
    assert file_downloads(emulator) == 2  # the texts; the picture and the PDF were never fetched
    stored = {a["externalId"]: a["answer"] for a in emulator.labels(demo_data.TEXTS_PROJECT_ID)["assets"]}
    schema_class = {s: c for c, s in demo_data.ENTITY_SCHEMA_IDS.items()}
    for name, (body, entities) in demo_data.TEXTS.items():
        found = [
            (schema_class[t["schemaId"]], body[t["ner"]["start"] : t["ner"]["end"]])
            for t in stored[name]["tools"]
        ]
        assert sorted(found) == sorted(entities), name
    assert stored["a-picture.png"]["tools"] == [] and stored["a-document.pdf"]["tools"] == []


def test_in_the_mixed_project_the_text_model_labels_the_text_and_reads_nothing_else(emulator, adapter):
    """The mixed project of tests/integration/test_end_to_end.py, run with the text model: its text
    gets its entities; pictures, videos, the PDF, the DICOM slice, the multi-image asset and the
    sound are counted by kind, and only the one whose URL names no kind is downloaded to tell.
    (Last in this module: the mixed seed leaves the demo user without the texts project.)"""
    seed_mixed_project(emulator, MIXED_PROJECT_ID)
    session = emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=MIXED_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=[{"schemaId": s, "modelClass": c} for c, s in demo_data.ENTITY_SCHEMA_IDS.items()],
        config_json="{}",
    )
    message = finish(emulator, session, adapter)["responses"][0]["response"]
    body, entities = demo_data.TEXTS["contact.txt"]
    assert message.startswith(f"Pre-labeled 1 of {MIXED_ASSETS} assets with {len(entities)} objects"), message
    assert "9 assets skipped (4 image, 2 video, 1 audio, 1 document, 1 medical)" in message, message
    stored = {a["externalId"]: a for a in emulator.labels(MIXED_PROJECT_ID)["assets"]}
    found = [body[t["ner"]["start"] : t["ner"]["end"]] for t in stored["contact.txt"]["answer"]["tools"]]
    assert sorted(found) == sorted(text for _, text in entities)
    downloaded = {name for name, asset in stored.items() if asset["downloads"]}
    assert downloaded == {"contact.txt", "clip-without-extension"}
