"""The text model end to end: the demo's texts project (two texts with known entities, a picture
and a PDF) run through listener, SQS and two workers with `ANGO_BATCH_MODEL=entities`, imported
under the emulator's strict checks (`ner` only on text assets, offsets within the text)."""

from __future__ import annotations

import pytest

from infra import demo_data
from tests.integration.test_end_to_end import file_downloads, finish

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
