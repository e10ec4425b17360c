"""The local services a benchmark needs: LocalStack, stacks from template.yaml, an emulator."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator
from infra.emulator.videos import LONG_VIDEO_SECONDS, LONG_VIDEO_SIZE, long_video_mp4
from infra.localstack import DEFAULT_ENDPOINT, ensure_localstack, local_aws_env
from infra.stack import StackOutputs, temporary_stack

from .processes import say

# An emulator seeded from a file of a big video parses it before it says it is ready.
SEED_FILE_READY_TIMEOUT = 600.0

# A short function timeout keeps the job queue's visibility (6x) short should a job fail.
STACK_PARAMETERS = {"FunctionTimeoutSeconds": "60", "MaxReceiveCount": "3"}


@dataclass(frozen=True)
class LocalAws:
    endpoint: str
    env: dict[str, str]  # AWS_* settings for child processes


@contextlib.contextmanager
def local_aws(endpoint: str = DEFAULT_ENDPOINT) -> Iterator[LocalAws]:
    """LocalStack (started only if nothing answers on `endpoint`, and then stopped afterwards),
    with this process's boto3 pointed at it while the block runs."""
    started = ensure_localstack(endpoint)
    try:
        env = local_aws_env(endpoint)
        with mock.patch.dict(os.environ, env):
            yield LocalAws(endpoint, env)
    finally:
        if started is not None:
            started.stop()


@contextlib.contextmanager
def fresh_stack() -> Iterator[StackOutputs]:
    """A stack of its own for one set of processes, deleted afterwards with its ledger objects.

    Not shared between sets: a process stopped in the middle of a 20 s long poll leaves that
    poll open at SQS, and a message handed to it stays invisible for the queue's visibility
    timeout, which would stall the next set's run.
    """
    with temporary_stack("ango-bench", STACK_PARAMETERS) as stack:
        yield stack


@dataclass(frozen=True)
class Plugin:
    """A Batch Model plugin registered at the emulator: each set of processes has its own, so that
    a click reaches exactly the set it is meant for while the others stay connected."""

    id: str
    secret: str


def add_plugin(emulator: EmulatorControl, name: str) -> Plugin:
    """Register plugin `bench-<name>` (kept across the emulator's resets)."""
    plugin = Plugin(f"bench-{name}", f"bench-secret-{name}")
    emulator.seed({"plugins": [{"id": plugin.id, "secret": plugin.secret}]})
    return plugin


@contextlib.contextmanager
def bench_emulator(
    n_assets: int,
    latency_ms: float,
    model: str = "",
    video_seconds: float = LONG_VIDEO_SECONDS,
    video_size: tuple[int, int] = LONG_VIDEO_SIZE,
) -> Iterator[EmulatorControl]:
    """The emulator seeded with a benchmark project of `n_assets` in Batch A, with latency on every
    REST call and every asset download. OCR's project holds pictures of text under the documents
    ontology (`bench-ocr`); the video row's, copies of one generated video of `video_seconds` and
    `video_size` under the faces ontology (`bench-video`, or a seed file at another size); every
    other model's, photographs under the faces ontology (`bench`)."""
    seed = {
        "ocr": f"bench-ocr:{n_assets}",
        "video": f"bench-video:{n_assets}:{video_seconds:g}",
    }.get(model, f"bench:{n_assets}")
    knobs: dict[str, Any] = {"latency_ms": latency_ms, "file_latency_ms": latency_ms}
    with contextlib.ExitStack() as stack:
        if model == "video" and tuple(video_size) != LONG_VIDEO_SIZE:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-seed-")))
            seed = str(video_seed_file(folder, n_assets, video_seconds, video_size))
            knobs["ready_timeout"] = SEED_FILE_READY_TIMEOUT
        yield stack.enter_context(run_emulator(seed=seed, **knobs))


def video_seed_file(folder: Path, n_assets: int, seconds: float, size: tuple[int, int]) -> Path:
    """`bench-video`'s seed with the video at another size, as a JSON seed file in `folder`: the
    named seed (infra/emulator/seed.py) takes a length but no size. The video is written here, in
    the benchmark's process, rather than by the emulator as it starts."""
    width, height = size
    started = time.perf_counter()
    content = long_video_mp4(seconds, size=(width, height))
    say(
        f"video: {width}x{height}, {seconds:g} s at 10 fps written in {time.perf_counter() - started:.1f} s, "
        f"{len(content) / 2**20:.1f} MiB"
    )
    spec = demo_data.video_bench_seed(n_assets, 0.1)  # its project and users around a 1-frame video
    (project,) = spec["projects"]
    project["name"] = f"Benchmark: videos ({n_assets} assets of {seconds:g} s, {width}x{height})"
    encoded = base64.b64encode(content).decode("ascii")
    for asset in project["assets"]:
        del asset["content"]
        asset.update(contentBase64=encoded, width=width, height=height)
    path = folder / "bench-video.json"
    path.write_text(json.dumps(spec))
    return path
