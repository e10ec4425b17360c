"""Runs on what Hub really sends (issue 19): a project's `type` is not its media, media is judged
per asset without a download, and Hub's plausible other forms run the same."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from handler.contract.ango import AngoClient
from infra.emulator.videos import moving_face_mp4
from listener.acceptance import RunRejected
from tests.functional.fakes import FakeHub, HubAsset
from tests.functional.world import PROJECT, World, hub_assets

pytestmark = pytest.mark.unit
ABSENT = object()


@pytest.mark.parametrize("project_type", ["ango", "ANGO", None, ABSENT, "something-new"])
def test_a_standard_project_runs_whatever_its_type_says(project_type: Any) -> None:
    project = {k: v for k, v in PROJECT.items() if k != "type"}
    if project_type is not ABSENT:
        project["type"] = project_type
    world = World(FakeHub(hub_assets(5), project))
    world.click_run()
    world.work()
    world.relay_all()
    assert all(len(a.objects) == 1 for a in world.hub.assets)
    assert world.notifier.responses[0][0].startswith("Pre-labeled 5 of 5 assets")


@pytest.mark.parametrize(("project_type", "name"), [("pct", "point cloud"), ("iframe", "iframe")])
def test_point_cloud_and_iframe_projects_are_refused_naming_their_type(project_type: str, name: str) -> None:
    world = World(FakeHub(hub_assets(2), {**PROJECT, "type": project_type}))
    with pytest.raises(RunRejected, match=f"is a {name} project \\(type '{project_type}'\\)"):
        world.click("s1")
    assert world.sqs.bodies("sqs://jobs") == []


def test_a_mixed_project_labels_images_and_videos_and_counts_the_rest_by_kind_undownloaded() -> None:
    suffixes = [".png", ".jpg", ".mp4", ".txt", ".wav", ".jpeg", ".mov"]
    assets = [HubAsset(f"a{n}", f"file{n}{s}", suffix=s) for n, s in enumerate(suffixes)]
    world = World(FakeHub(assets, PROJECT))
    for video in (assets[2], assets[6]):
        world.storage.files[video.url] = moving_face_mp4()
    world.click_run(frame_stride=10)
    world.work()
    world.relay_all()
    # An image gets its one box; a video one box on each sampled frame (0, 10, 20, 30), all one object.
    assert [len(a.objects) for a in world.hub.assets] == [1, 1, 4, 0, 0, 1, 4]
    assert all(len(set(world.hub.assets[n].objects)) == 1 for n in (2, 6))
    assert world.storage.downloads == 5  # the images and the videos only
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 5 of 7 assets with 11 objects")
    assert "2 assets skipped (1 audio, 1 text)" in message


def test_an_asset_whose_url_names_no_kind_is_judged_by_its_content() -> None:
    assets = [HubAsset(f"a{n}", f"file{n}", suffix="") for n in range(4)]  # no extension at all
    world = World(FakeHub(assets, PROJECT))
    world.storage.files[assets[1].url] = moving_face_mp4()  # a video: read as one, sampled
    world.storage.files[assets[3].url] = b"RIFF\x24\x00\x00\x00WAVEfmt "  # a WAV: not read
    world.click_run(frame_stride=20)
    world.work()
    world.relay_all()
    assert [len(a.objects) for a in world.hub.assets] == [1, 2, 1, 0]  # the video: frames 0 and 20
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 3 of 4 assets")
    assert "1 assets skipped (1 audio)" in message and "0 assets failed" in message


@pytest.mark.parametrize(
    "category_schema",
    [{"Object": "box"}, {"box": "Object"}, {"schemaId": "box", "modelClass": "Object"}],
    ids=["class-to-schema", "schema-to-class", "one-entry"],
)
def test_a_payload_in_hubs_other_plausible_forms_runs_the_same(category_schema: dict[str, str]) -> None:
    world = World(FakeHub(hub_assets(3), PROJECT))
    payload = {
        "projectId": 4242,  # a number
        "apiKey": "key-1",
        "session": 17,
        "categorySchema": category_schema,
        "configJSON": {"model": {"seconds_per_batch": 0}, "job_size": 2},  # already an object
    }
    run = world.acceptor.accept(json.loads(json.dumps(payload)))
    assert run is not None and not hasattr(run, "message")
    world.relay._registry.add(run)  # type: ignore[arg-type]
    world.work()
    world.relay_all()
    assert all(len(a.objects) == 1 for a in world.hub.assets)
    assert world.notifier.responses[0][0].startswith("Pre-labeled 3 of 3 assets")


def test_a_project_answer_no_reader_takes_refuses_the_run_saying_what_was_seen() -> None:
    """The real client reads Hub's answer; one without `data.project` refuses the run, naming its keys."""
    client = AngoClient("https://hub.example", "key")
    client._sdk = SimpleNamespace(get_project=lambda project_id: {"status": "success", "oops": 1})  # type: ignore[assignment]
    world = World(FakeHub(hub_assets(2), PROJECT))
    world.hub.get_project = client.get_project  # type: ignore[method-assign]
    with pytest.raises(
        RunRejected, match=r"answer for project proj: .* without data\.project: .* keys oops, status"
    ):
        world.click("s1")
