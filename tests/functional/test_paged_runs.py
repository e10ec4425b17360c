"""PDFs, DICOM files and multi-image assets through whole runs on the fakes: each page predicted,
imported as its kind asks (PDF areas on numbered pages; objects on frames and pages with one id per
tracked object; a one-frame DICOM as a picture), and read back through the emulator's strict import.
The model is the fixed-latency one: one centred box on every picture it is given."""

from __future__ import annotations

import io
import json

import numpy as np
import pydicom
import pytest

from infra.emulator import documents
from listener.acceptance import RunRejected
from tests.functional.fakes import FakeHub, HubAsset
from tests.functional.world import World

pytestmark = pytest.mark.unit
PROJECT = {
    "type": "ango",
    "categorySchema": {
        "tools": [
            {"schemaId": "box", "title": "Obj", "tool": "bounding-box"},
            {"schemaId": "area", "title": "Obj on a page", "tool": "pdf"},
        ]
    },
}
BOTH = [{"schemaId": "box", "modelClass": "Object"}, {"schemaId": "area", "modelClass": "Object"}]


def world_of(*assets: HubAsset, files: dict[int, bytes]) -> World:
    world = World(FakeHub(list(assets), PROJECT))
    for index, body in files.items():
        world.storage.files[world.hub.assets[index].url] = body
    return world


def run(world: World, mapping: list[dict[str, str]] = BOTH, dpi: int = 144) -> str:
    run = world.acceptor.accept(
        {
            "projectId": "proj",
            "apiKey": "key-1",
            "session": "s1",
            "categorySchema": mapping,
            "configJSON": json.dumps({"model": {"seconds_per_batch": 0}, "batch_size": 2, "pdf_dpi": dpi}),
        }
    )
    world.relay._registry.add(run)  # type: ignore[arg-type]
    world.work()
    world.relay_all()
    ((message, error),) = world.notifier.responses
    assert not error, message
    return message


def test_a_pdf_gets_one_area_per_page_on_its_numbered_page_and_a_picture_beside_it_a_box() -> None:
    pdf = documents.two_page_pdf()
    (w1, h1), (w2, h2) = documents.pdf_page_sizes(pdf)
    world = world_of(HubAsset("doc", "doc.pdf", suffix=".pdf"), HubAsset("pic", "pic.png"), files={0: pdf})
    message = run(world)
    assert message.startswith("Pre-labeled 2 of 2 assets with 3 objects"), message
    stored = world.emulator_stored()
    areas = [tool["pdf"] for tool in stored["doc"]["tools"]]
    # Pages rendered at 144 dpi: twice their size in points; the corners are in those pixels.
    assert [(a["pageNumber"], a["width"], a["height"]) for a in areas] == [
        (1, round(w1 * 2), round(h1 * 2)),
        (2, round(w2 * 2), round(h2 * 2)),
    ]
    for area in areas:  # the fixed-latency model's centred box: the middle half of the page
        assert area["x1"] == pytest.approx(area["width"] / 4, abs=1)
        assert area["x2"] == pytest.approx(area["width"] * 3 / 4, abs=1)
    assert {tool["schemaId"] for tool in stored["doc"]["tools"]} == {"area"}
    assert [set(tool) & {"bounding-box", "pdf"} for tool in stored["pic"]["tools"]] == [{"bounding-box"}]


def test_a_pdf_without_a_pdf_tool_mapped_gets_nothing_and_its_boxes_are_counted_as_dropped() -> None:
    world = world_of(HubAsset("doc", "doc.pdf", suffix=".pdf"), files={0: documents.two_page_pdf()})
    message = run(world, [{"schemaId": "box", "modelClass": "Object"}])
    assert message.startswith("Pre-labeled 0 of 1 assets"), message
    assert "dropped 2 predictions" in message, message  # a box on each page
    assert world.hub.items == []


def test_the_dpi_in_the_config_sets_the_rendered_page_size() -> None:
    pdf = documents.two_page_pdf()
    (w1, h1), _ = documents.pdf_page_sizes(pdf)
    world = world_of(HubAsset("doc", "doc.pdf", suffix=".pdf"), files={0: pdf})
    run(world, dpi=72)
    (item,) = world.hub.items
    assert (item["objects"][0]["pdf"]["width"], item["objects"][0]["pdf"]["height"]) == (round(w1), round(h1))


def test_a_dicom_slice_is_labeled_as_a_picture_and_a_multi_frame_dicom_frame_by_frame() -> None:
    frames = [np.full((40, 60), 50 * n, dtype=np.uint8) for n in range(1, 4)]
    slice_file = documents.dicom_slice()
    world = world_of(
        HubAsset("slice", "slice.dcm", suffix=".dcm"),
        HubAsset("series", "series.dcm", suffix=".dcm"),
        files={0: slice_file, 1: documents.multiframe_dicom(frames)},
    )
    message = run(world)
    assert message.startswith("Pre-labeled 2 of 2 assets with 4 objects"), message
    rows, columns = pydicom.dcmread(io.BytesIO(slice_file)).pixel_array.shape[:2]
    stored = world.emulator_stored(sizes={"slice": (columns, rows), "series": (60, 40)})
    (slice_box,) = stored["slice"]["tools"]
    assert "page" not in slice_box and "bounding-box" in slice_box
    series = stored["series"]["tools"]
    assert [tool["page"] for tool in series] == [0, 1, 2]
    assert len({tool["objectId"] for tool in series}) == 1  # one centred box, tracked frame to frame


def test_a_multi_image_asset_is_read_page_by_page_from_its_dataset() -> None:
    world = world_of(HubAsset("pages", "pages", pages=3), files={})
    message = run(world)
    assert message.startswith("Pre-labeled 1 of 1 assets with 3 objects"), message
    assert world.storage.downloads == 3  # each page once
    tools = world.emulator_stored()["pages"]["tools"]
    assert [tool["page"] for tool in tools] == [0, 1, 2]
    assert len({tool["objectId"] for tool in tools}) == 1


def test_a_page_that_cannot_be_read_fails_its_multi_image_asset_naming_the_page() -> None:
    world = world_of(HubAsset("pages", "pages", pages=3), files={})
    world.storage.missing.add(world.hub.assets[0].page_urls[1])
    message = run(world)
    assert "1 assets failed" in message
    assert world.hub.items == []
    assert any("page 2: the asset's host answered 404" in line for _, line in world.notifier.logs)


def test_a_class_mapped_to_two_labels_that_are_not_a_pdf_tool_and_another_is_refused() -> None:
    world = world_of(HubAsset("pic", "pic.png"), files={})
    payload = {
        "projectId": "proj",
        "apiKey": "key-1",
        "session": "s1",
        "categorySchema": [{"schemaId": "box", "modelClass": "Object"}] * 2,
        "configJSON": "{}",
    }
    with pytest.raises(RunRejected, match="'Object' is mapped to two labels"):
        world.acceptor.accept(payload)
