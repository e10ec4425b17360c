"""(a) for the video row: decoding plus the model alone, on the same frames the product samples.

Each video is downloaded once beforehand to a local file. Timed: OpenCV decoding it (`grab` every
frame, `retrieve` every frame_stride-th: the usual way to sample a video with OpenCV, and what
skipping costs there) and `predict` on the sampled frames in batches of batch_size. Not timed: the
download, tracking, the import. So the product's (c) carries, beyond this, its download to a
temporary file, the tracker, its checks, queues and imports.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import requests

from handler.contract.messages import AssetRef
from handler.contract.model import Image, Model, PredictContext, Prediction, load_model_factory
from handler.contract.records import ClassTarget
from handler.contract.run_config import parse_config_json
from handler.outputs.prelabels import build_item
from infra import demo_data
from infra.emulator.control import EmulatorControl

from .cpu import CpuMeter, CpuUse
from .model_alone import list_assets
from .results import VideoFacts
from .stock_plugin import mapped_targets


@dataclass(frozen=True)
class VideoFiles:
    paths: list[Path]  # each asset's video in the run's order; copies of one file share a path
    grab_seconds: float  # to decode the first one whole (`grab` only), as the emulator counts frames


@dataclass(frozen=True)
class VideoAloneResult:
    seconds: float
    cpu: CpuUse
    facts: VideoFacts  # the first video's
    labeled: tuple[bool, ...]  # per asset: whether the video gets a pre-label

    @property
    def sampled_frames(self) -> int:
        return self.facts.sampled * len(self.labeled)

    def expected_prelabeled(self, n_assets: int) -> int:
        """Videos with a pre-label in a project of n_assets (which cycles the same videos)."""
        return sum(1 for i in range(n_assets) if self.labeled[i % len(self.labeled)])


@dataclass(frozen=True)
class _Decoded:
    frames: int
    size: tuple[int, int]  # width, height
    fps: float
    predictions: list[list[Prediction]]  # one list per sampled frame


def load_videos(emulator: EmulatorControl, folder: Path) -> VideoFiles:
    """Every video of the benchmark project's Batch A, downloaded once into `folder`."""
    files: dict[str, Path] = {}  # content hash -> its file
    paths = []
    with requests.Session() as http:
        for url in list_assets(emulator.base_url, demo_data.BENCH_PROJECT_ID):
            response = http.get(url, timeout=120)
            response.raise_for_status()
            key = hashlib.sha256(response.content).hexdigest()
            if key not in files:
                files[key] = folder / f"video-{len(files)}.mp4"
                files[key].write_bytes(response.content)
            paths.append(files[key])
    return VideoFiles(paths, _grab_seconds(paths[0]))


def measure_video_alone(
    videos: VideoFiles, model: str, config_json: str, category_schema: list[dict[str, str]]
) -> VideoAloneResult:
    factory = load_model_factory(model)
    run_config, model_config = parse_config_json(config_json, factory.spec)
    context = PredictContext(config=model_config, run_id="bench")
    predictor = factory()
    predictor.predict([_first_frame(videos.paths[0])], context)  # warm-up: lazy loads, thread pools
    stride, batch_size = run_config.frame_stride, run_config.batch_size
    meter, started = CpuMeter([os.getpid()]), time.perf_counter()
    decoded = [_decode_and_predict(path, predictor, context, stride, batch_size) for path in videos.paths]
    seconds, cpu = time.perf_counter() - started, meter.stop()
    first = decoded[0]
    facts = VideoFacts(
        width=first.size[0],
        height=first.size[1],
        fps=first.fps,
        frames=first.frames,
        sampled=len(first.predictions),
        stride=stride,
        megabytes=videos.paths[0].stat().st_size / 2**20,
        grab_seconds=videos.grab_seconds,
    )
    targets = mapped_targets(category_schema, factory.spec)
    return VideoAloneResult(seconds, cpu, facts, tuple(_labels_something(d, targets) for d in decoded))


def _decode_and_predict(
    path: Path, predictor: Model[Any], context: PredictContext[Any], stride: int, batch_size: int
) -> _Decoded:
    capture = cv2.VideoCapture(str(path))
    predictions: list[list[Prediction]] = []
    batch: list[Image] = []
    frames, size = 0, (0, 0)
    try:
        while capture.grab():
            if frames % stride == 0:
                ok, frame = capture.retrieve()
                if not ok:
                    break
                batch.append(np.asarray(frame, dtype=np.uint8))
                size = (frame.shape[1], frame.shape[0])
                if len(batch) == batch_size:
                    predictions += predictor.predict(batch, context)
                    batch = []
            frames += 1
        if batch:
            predictions += predictor.predict(batch, context)
        return _Decoded(frames, size, float(capture.get(cv2.CAP_PROP_FPS)), predictions)
    finally:
        capture.release()


def _grab_seconds(path: Path) -> float:
    """How long decoding the video whole takes: what the emulator spends counting its frames on
    each run's import (infra/emulator/model.py, `frame_count`)."""
    started, capture = time.perf_counter(), cv2.VideoCapture(str(path))
    try:
        while capture.grab():
            pass
        return time.perf_counter() - started
    finally:
        capture.release()


def _first_frame(path: Path) -> Image:
    capture = cv2.VideoCapture(str(path))
    try:
        ok, frame = capture.read()
        if not ok:
            raise RuntimeError(f"OpenCV cannot read the benchmark's video {path}")
        return np.asarray(frame, dtype=np.uint8)
    finally:
        capture.release()


def _labels_something(decoded: _Decoded, targets: Mapping[str, ClassTarget]) -> bool:
    """Whether this video would get a pre-label: a mapped prediction with geometry inside a frame."""
    ref = AssetRef(asset_id="a", external_id="a.mp4", data_url="http://a/a.mp4")
    return any(
        build_item("bench", ref, decoded.size, found, targets).item is not None
        for found in decoded.predictions
    )
