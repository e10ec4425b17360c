"""A video through the job's video path on in-memory fakes: every sampled frame predicted, one
tracked object, and a cancel looked at between batches."""

from __future__ import annotations

import pytest

from handler.contract.ledger import ImportConflict
from handler.contract.messages import AssetRef, InferJob
from handler.contract.model import PredictContext
from handler.inference.paged_assets import JobWork, infer_paged
from handler.inference.tally import JobTally
from handler.outputs.prelabels import AssetLabels
from handler.private_assets import AssetReader
from infra.emulator.videos import FACE_VIDEO_FRAMES, moving_face_mp4
from tests.functional.fakes import FakeHub, HubAsset
from tests.functional.world import World, hub_assets

pytestmark = pytest.mark.unit
PROJECT = {"categorySchema": {"tools": [{"schemaId": "box", "title": "Box", "tool": "bounding-box"}]}}


def video_world() -> tuple[World, AssetRef]:
    world = World(FakeHub(hub_assets(1, suffix=".mp4"), PROJECT))
    (asset,) = world.hub.assets
    world.storage.files[asset.url] = moving_face_mp4()
    return world, AssetRef(asset_id=asset.asset_id, external_id=asset.external_id, data_url=asset.url)


def infer(
    world: World, asset: AssetRef, tally: JobTally, cancelled: list[bool], **config: object
) -> AssetLabels | None:
    run = world.click_run(**{"frame_stride": 1, "batch_size": 8, **config})
    spec = world.deps.model_factory.spec
    context = PredictContext(config=spec.config.model_validate(run.config.model), run_id=run.run_id)
    reader = AssetReader(world.storage, lambda url: url)  # type: ignore[arg-type]
    checks = iter(cancelled)
    work = JobWork("000000", run, world.deps, reader, tally, context, lambda: next(checks, True))
    return infer_paged(asset, "video", work)


def test_every_sampled_frame_is_predicted_and_the_one_object_keeps_its_id() -> None:
    world, asset = video_world()
    tally = JobTally()
    labels = infer(world, asset, tally, [False] * 10)
    assert labels is not None and labels.item is not None
    objects = labels.item["objects"]
    assert [o["page"] for o in objects] == list(range(FACE_VIDEO_FRAMES))
    assert len({o["objectId"] for o in objects}) == 1  # the fixed-latency model's centred box, tracked
    assert tally.failures == [] and tally.cancelled == 0


def test_a_cancel_stops_a_video_between_batches_and_counts_it_not_processed() -> None:
    world, asset = video_world()
    tally = JobTally()
    assert infer(world, asset, tally, [False, False, True]) is None  # after 2 of its 5 batches
    assert tally.cancelled == 1 and tally.failures == [] and tally.unfinished == [asset]


def test_a_rate_in_the_config_samples_that_many_frames_a_second() -> None:
    world, asset = video_world()
    labels = infer(world, asset, JobTally(), [False] * 10, frames_per_second=5)  # the video: 10 fps
    assert labels is not None and labels.item is not None
    assert [o["page"] for o in labels.item["objects"]] == list(range(0, FACE_VIDEO_FRAMES, 2))


def test_a_long_video_goes_on_across_messages_of_its_job_and_keeps_one_id_for_its_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 15 frames a message, the 40-frame video is read in three parts (frames 0 and 10; 20; 30),
    each a new message of the same job; the picture beside it is imported by the first, once, and
    counted once in the job's result (its box converted to a polygon, as the video's are)."""
    monkeypatch.setenv("ANGO_BATCH_VIDEO_FRAMES_PER_JOB", "15")
    assets = [HubAsset("clip", "clip.mp4", suffix=".mp4"), HubAsset("pic", "pic.png")]
    polygon = {"schemaId": "poly", "title": "Obj", "tool": "polygon"}
    world = World(FakeHub(assets, {"categorySchema": {"tools": [polygon]}}))
    world.storage.files[assets[0].url] = moving_face_mp4()
    sent = []
    send = world.deps.jobs.send
    monkeypatch.setattr(world.deps.jobs, "send", lambda job, **kw: (sent.append(job), send(job, **kw)))
    world.run_mapped({"Object": "poly"}, frame_stride=10, job_size=10, model={"seconds_per_batch": 0})
    ((message, error),) = world.notifier.responses
    assert not error and message.startswith("Pre-labeled 2 of 2 assets with 5 objects"), message
    assert "5 objects converted" in message, message  # the first message's picture counted too
    went_on = [job for job in sent if isinstance(job, InferJob)]  # (the click sends the plan job)
    assert len(went_on) == 2 and len({job.job_id for job in went_on}) == 1  # the job went on twice
    stored = world.emulator_stored(sizes={"clip": (480, 320)})
    tools = stored["clip"]["tools"]
    assert [tool["page"] for tool in tools] == [0, 10, 20, 30]
    assert len({tool["objectId"] for tool in tools}) == 1  # one object across both splits
    assert [len(item["objects"]) for item in world.hub.items] == [1, 4]  # the picture, the video: once


def test_a_video_whose_progress_another_copy_of_the_job_wrote_first_leaves_the_job_to_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two copies of one job message (SQS delivers at least once): the one that loses the race to
    save the video's progress does not fail the video; its message comes back later and goes on."""
    monkeypatch.setenv("ANGO_BATCH_VIDEO_FRAMES_PER_JOB", "15")
    world, asset = video_world()

    def lost(*args: object) -> None:
        raise ImportConflict("written by another attempt of its job")

    monkeypatch.setattr(world.deps.ledger, "save_video_progress", lost)
    tally = JobTally()
    with pytest.raises(ImportConflict):
        infer(world, asset, tally, [False] * 10)
    assert tally.failures == []
