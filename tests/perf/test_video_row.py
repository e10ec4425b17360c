"""The video row's parts without any process or service: its seed, its (a), its targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import demo_data
from infra.emulator.seed import load_named_seed, parse_seed
from infra.emulator.videos import LONG_VIDEO_SIZE, long_video_mp4

from .environment import video_seed_file
from .options import BenchOptions, category_mapping, config_json, parse_options, video_env
from .results import ModeRow, RunSample, VideoFacts
from .targets import video_targets
from .video_alone import VideoFiles, measure_video_alone

pytestmark = pytest.mark.unit

SECONDS = 2.0  # 20 frames at 10 fps


def test_bench_video_seed_holds_n_copies_of_one_video_in_batch_a_of_the_bench_project() -> None:
    (project,) = parse_seed(load_named_seed(f"bench-video:3:{SECONDS:g}")).projects
    assert project.id == demo_data.BENCH_PROJECT_ID
    assert project.category_schema["tools"][0]["schemaId"] == demo_data.FACE_SCHEMA_ID
    assert [a.external_id for a in project.assets] == [f"bench-{i:06d}.mp4" for i in range(3)]
    for asset in project.assets:
        assert asset.batches == [demo_data.BATCH_A_ID] and asset.content_type == "video/mp4"
        assert (asset.width, asset.height) == LONG_VIDEO_SIZE and asset.filename.endswith(".mp4")
        assert asset.content is long_video_mp4(SECONDS) and asset.page_count == 20


def test_a_video_of_another_size_is_seeded_from_a_file_of_the_same_project(tmp_path: Path) -> None:
    size = (400, 300)
    path = video_seed_file(tmp_path, 2, SECONDS, size)
    (project,) = parse_seed(load_named_seed(str(path))).projects
    assert project.id == demo_data.BENCH_PROJECT_ID and "400x300" in project.name
    assert [a.external_id for a in project.assets] == ["bench-000000.mp4", "bench-000001.mp4"]
    for asset in project.assets:
        assert (asset.width, asset.height) == size and asset.content_type == "video/mp4"
        assert asset.content == long_video_mp4(SECONDS, size=size) and asset.page_count == 20


def test_video_size_and_frames_per_job_flags() -> None:
    options = parse_options(
        ["--models", "video", "--video-size", "1920x1080", "--video-frames-per-job", "6000"]
    )
    assert options.video_size == (1920, 1080)
    assert video_env(options)["ANGO_BATCH_VIDEO_FRAMES_PER_JOB"] == "6000"
    defaults = parse_options(["--models", "video"])
    assert defaults.video_size == LONG_VIDEO_SIZE and "ANGO_BATCH_VIDEO_FRAMES_PER_JOB" not in video_env(
        defaults
    )
    with pytest.raises(SystemExit):
        parse_options(["--video-size", "1920"])


def test_decode_plus_model_alone_samples_every_stride_th_frame_and_sees_the_face(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(long_video_mp4(SECONDS))
    options = BenchOptions(frame_stride=5)
    found = measure_video_alone(
        VideoFiles([video, video], 0.1), "haar", config_json("video", options), category_mapping("video")
    )
    assert (found.facts.frames, found.facts.sampled, found.sampled_frames) == (20, 4, 8)
    assert (found.facts.width, found.facts.height, found.facts.fps) == (*LONG_VIDEO_SIZE, 10.0)
    assert found.labeled == (True, True) and found.expected_prelabeled(3) == 3


def _rows(alone_s: float, product_s: float, peak_mb: float) -> list[ModeRow]:
    alone = ModeRow("video", "(a) model alone", runs=[RunSample(assets=1, seconds=alone_s)] * 3)
    run = RunSample(assets=1, seconds=product_s, peak_rss_mb=peak_mb, start_rss_mb=150.0, rss_growth_mb=2.0)
    return [alone, ModeRow("video", "(c) product, 1 worker", 1, runs=[run] * 3)]


def test_video_targets_judge_sampled_frames_per_second_and_the_workers_rss_rise() -> None:
    facts = VideoFacts(1280, 720, 10.0, 3000, 300, 10, 9.0, 1.5)
    fps, rss = video_targets(_rows(20.0, 21.0, 200.0), facts)
    assert fps.met is True and "14.3 vs 15.0 sampled frames/s = 0.95x" in fps.figures
    assert rss.met is True and "peak - before 50 MB" in rss.figures
    fps, rss = video_targets(_rows(20.0, 25.0, 300.0), facts)  # 0.80x; 150 MB over its start
    assert fps.met is False and rss.met is False
    assert [t.met for t in video_targets([], None)] == [None, None]
