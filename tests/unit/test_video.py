"""Videos: frames sampled by stride from a file, objects tracked from frame to frame, one import item
with one objectId per tracked object, and the emulator's checks of `page`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from handler.assets import AssetError
from handler.contract.messages import AssetRef
from handler.contract.model import BoundingBox, Prediction
from handler.contract.records import ClassTarget
from handler.media.tracks import IouTracker
from handler.media.video import FrameWindow, sampled_frames, stride_for
from handler.outputs.paged_items import PagedLabels
from infra.emulator.errors import ApiError
from infra.emulator.imports import plan_import
from infra.emulator.model import Asset, Project
from infra.emulator.videos import FACE_VIDEO_FRAMES, FACE_VIDEO_SIZE, moving_face_mp4

pytestmark = pytest.mark.unit


def test_frames_are_sampled_by_stride_and_an_unreadable_file_is_an_asset_error(tmp_path: Path) -> None:
    video = tmp_path / "face.mp4"
    video.write_bytes(moving_face_mp4())
    frames = list(sampled_frames(str(video), 15))
    assert [index for index, _ in frames] == [0, 15, 30]
    assert frames[0][1].shape == (FACE_VIDEO_SIZE[1], FACE_VIDEO_SIZE[0], 3)
    assert len(list(sampled_frames(str(video), 1))) == FACE_VIDEO_FRAMES
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(AssetError, match="not a readable video"):
        list(sampled_frames(str(junk), 5))


def test_a_rate_in_frames_per_second_sets_the_stride_from_the_videos_own_rate(tmp_path: Path) -> None:
    video = tmp_path / "face.mp4"
    video.write_bytes(moving_face_mp4())  # 10 frames a second
    assert [index for index, _ in sampled_frames(str(video), 99, per_second=2)] == list(range(0, 40, 5))
    assert stride_for(29.97, 1) == 30 and stride_for(25, 10) == 2  # 2.5 rounds to 2
    assert stride_for(10, 100) == 1 and stride_for(0.0, 2) == 1  # never below 1; no rate: every frame


def test_a_window_reads_the_frames_a_whole_read_gives_there_and_says_where_it_cut(tmp_path: Path) -> None:
    video = tmp_path / "face.mp4"
    video.write_bytes(moving_face_mp4())
    whole = dict(sampled_frames(str(video), 5))
    first, middle, last = FrameWindow(0, 15), FrameWindow(15, 30), FrameWindow(30, 45)
    parts = [dict(sampled_frames(str(video), 5, window=w)) for w in (first, middle, last)]
    assert [sorted(part) for part in parts] == [[0, 5, 10], [15, 20, 25], [30, 35]]
    assert all(np.array_equal(whole[i], part[i]) for part in parts for i in part)  # the seek is exact
    assert (first.cut_at, middle.cut_at, last.cut_at) == (15, 30, None)  # the last read to the end
    ending_exactly = FrameWindow(30, FACE_VIDEO_FRAMES)
    assert sorted(dict(sampled_frames(str(video), 5, window=ending_exactly))) == [30, 35]
    assert ending_exactly.cut_at is None  # no frame left after it: nothing goes on


def test_a_tracker_restored_from_its_state_goes_on_as_the_original_would() -> None:
    original = IouTracker()
    original.assign([("Face", (0, 0, 10, 10)), ("Car", (50, 50, 70, 70))])
    original.assign([("Face", (1, 0, 11, 10))])
    restored = IouTracker.restored(json.loads(json.dumps(original.state())))
    step = [("Car", (51, 50, 71, 70)), ("Face", (2, 0, 12, 10)), ("Face", (80, 80, 90, 90))]
    assert restored.assign(step) == original.assign(step) == [1, 0, 2]


def test_the_tracker_follows_overlapping_boxes_per_class_and_keeps_tracks_short() -> None:
    tracker = IouTracker(min_iou=0.3, max_gap=1)
    assert tracker.assign([("Face", (0, 0, 10, 10)), ("Car", (50, 50, 70, 70))]) == [0, 1]
    # The face moved a little; a car box where the face was is another class: a new track.
    assert tracker.assign([("Car", (1, 1, 11, 11)), ("Face", (2, 0, 12, 10))]) == [2, 0]
    assert tracker.assign([]) == []  # a frame without them: a gap of one is bridged...
    assert tracker.assign([("Face", (3, 0, 13, 10))]) == [0]
    assert tracker.assign([]) == [] and tracker.assign([]) == []  # ...two are not
    assert tracker.assign([("Face", (3, 0, 13, 10))]) == [3]
    assert tracker.assign([("Face", (40, 0, 50, 10))]) == [4]  # a jump is a new object, not the same


def test_a_videos_objects_sit_on_their_frames_with_one_id_per_tracked_object() -> None:
    asset = AssetRef(asset_id="v", external_id="v.mp4", data_url="http://x/v.mp4")
    targets = {"Face": ClassTarget(model_class="Face", schema_id="face", tool="bounding-box")}
    video = PagedLabels("run", asset, tuple(targets.values()))
    for page, x in ((0, 10), (10, 14), (20, 18)):
        faces = [Prediction(class_name="Face", shape=BoundingBox(x=x, y=10, width=30, height=30))]
        faces.append(Prediction(class_name="Face", shape=BoundingBox(x=70, y=60, width=20, height=20)))
        video.add(page, (100, 100), faces)
    labels = video.labels()
    assert labels.item is not None and labels.objects == 6
    placed = [(o["page"], o["objectId"]) for o in labels.item["objects"]]
    assert placed == [(p, f"run-v-t{t}") for p in (0, 10, 20) for t in (0, 1)]
    assert PagedLabels("run", asset, tuple(targets.values())).labels().item is None


def test_the_emulator_takes_a_page_only_on_a_video_within_its_frames_and_one_id_per_frame() -> None:
    schema = {"tools": [{"schemaId": "face", "title": "Face", "tool": "bounding-box"}]}
    project = Project(id="p", name="p", category_schema=schema, batches=[], stages=[])
    width, height = FACE_VIDEO_SIZE
    project.assets += [
        Asset("v", "v.mp4", "v.mp4", "video/mp4", moving_face_mp4(), width, height),
        Asset("i", "i.png", "i.png", "image/png", b"", width, height),
    ]
    box = {"x": 1, "y": 1, "width": 5, "height": 5}

    def item(asset: str, *objects: dict[str, object]) -> list[dict[str, object]]:
        return [
            {
                "externalId": asset,
                "objects": [{"schemaId": "face", "bounding-box": box, **o} for o in objects],
            }
        ]

    assert plan_import(
        project, item("v.mp4", {"page": 0, "objectId": "a"}, {"page": 39, "objectId": "a"}), "", 10
    )
    refusals = {
        "needs the `page` of its frame": item("v.mp4", {"objectId": "a"}),
        "page 40 is not a page of its 40": item("v.mp4", {"page": 40}),
        "objectId 'a' twice on page 3": item(
            "v.mp4", {"page": 3, "objectId": "a"}, {"page": 3, "objectId": "a"}
        ),
        "page is for videos and multi-page assets": item("i.png", {"page": 0}),
    }
    for said, body in refusals.items():
        with pytest.raises(ApiError, match=said):
            plan_import(project, body, "", 10)
