"""The benchmark's knobs: command-line flags, the `--quick` smoke sizes, and each model's run."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from handler.contract.model import load_model_factory
from handler.contract.run_config import RunConfig
from infra import demo_data
from infra.emulator.videos import LONG_VIDEO_SECONDS, LONG_VIDEO_SIZE

VIDEO = "video"
MODELS = ("haar", "fixed-latency", "ocr", VIDEO)
# A row that runs a built-in model on other media: "video" is the Haar model on the frames of a long
# generated video. Haar rather than fixed-latency: on 720p frames it is CPU-bound like a real model,
# so the row weighs decoding against a model's real cost, and the frames' pixels are really looked at.
ROW_MODELS = {VIDEO: "haar"}
# Sized for `make bench` to take about 35 minutes on a 2-core machine, three rounds of every mode.
# The planner sends the first page (100 assets) as a job at once, then jobs of job_size (128).
# fixed-latency: (a) and (b) use its 256 assets; each of (c) and (d) a project of its own, of one job
# per job slot (`fleet_assets`), so that every run takes about one worker's share, ~55 s.
# Haar (~40 assets/s on 2 cores): 740 = 100 + 5 x 128 assets, 6 jobs, about 20 s a run.
# OCR (~0.5 s a picture on 2 cores): 48 = 16 x its 3 pictures, one job, about 25 s a run; (a) and (c)
# over 3 rounds, about 3 minutes.
# Video: one video of 3000 frames (5 min of 720p at 10 fps), every 10th frame to Haar (~50 ms a
# frame): about 17 s a run; (a) and (c) over 3 rounds, about 2.5 minutes.
DEFAULT_ASSETS = {"haar": 740, "fixed-latency": 256, "ocr": 48, "video": 1}
# `--quick`: a handful of OCR pictures (two of each) keeps its block to seconds; so does a short video.
QUICK_ASSETS = {"haar": 16, "fixed-latency": 16, "ocr": 6, "video": 1}

# The modes each model runs, every round. (a) always: it is every row's baseline, and gives the
# expected pre-label counts. (e), the field limit, only for fixed-latency: the model that asks the
# most of Hub. OCR runs (a) and (c) only: its row is one worker against the model alone on the same
# pictures; it is CPU-bound, so on 2 cores W workers only share the same CPUs (d), and the stock
# plugin would time the same model behind a sequential loop again (b).
# The video row likewise: one worker against decoding plus the model alone, in frames per second.
MODES = {"haar": "abcd", "fixed-latency": "abcde", "ocr": "ac", "video": "ac"}


@dataclass(frozen=True)
class BenchOptions:
    models: tuple[str, ...] = MODELS
    assets: dict[str, int] | None = None  # per model; None -> DEFAULT_ASSETS
    rounds: int = 3  # every mode runs this many times, the modes interleaved
    # W of (d): the fleets the fixed-latency model runs on; the Haar row, CPU-bound, runs the first
    workers: tuple[int, ...] = (8, 32)
    concurrency: int = 2  # jobs at once per worker process (`ango-batch work --concurrency`)
    latency_ms: float = 20.0  # per Ango REST call and per asset download
    batch_size: int = 16
    job_size: int = 128  # the product's default: one import call per job
    # The fixed-latency model stands in for a large GPU model: a fixed delay per batch, one batch at a
    # time per worker, long enough that 32 workers (~150 assets/s) keep the test bed and the product
    # under about one of this machine's two cores. The model, not the machine, sets the pace.
    seconds_per_batch: float = 1.7
    fixed_batch_size: int = 8
    fixed_alone_max: int = 64  # (a) of fixed-latency: 8 batches, 14 s
    frame_stride: int = 10  # videos: the product's default, every 10th frame to the model
    video_seconds: float = LONG_VIDEO_SECONDS  # the video row's video, at 10 fps
    video_size: tuple[int, int] = LONG_VIDEO_SIZE  # its width and height
    # ANGO_BATCH_VIDEO_FRAMES_PER_JOB of the video row's workers; None leaves the product's default
    video_frames_per_job: int | None = None
    alone_max: int = 512  # (a) is timed over at most this many assets
    stock_assets: int = 256  # (b) runs on a project of min(N, this): it is sequential, and slow
    # (e), the field limit, on W of each `workers` on one API key: a project whose Hub calls take the
    # key's budget ~45 s, and a model fast enough (0.2 s per 16) that the fleet waits on Hub alone
    field_assets: int = 4068  # 100 + 31 x 128; 0 skips (e)
    field_seconds_per_batch: float = 0.2
    field_requests: int = 20  # the emulator's limit per API key: this many calls...
    field_window_s: float = 12.0  # ...per this sliding window (20 per 12 s = Hub's 100 a minute)
    field_budget: float = 100.0  # ANGO_REQUESTS_PER_MINUTE of (e): the product's default
    # Fair turns: a small run (its own project and key) clicked fair_click_after_s into a big run, on
    # one fleet of fair_workers at the product's default JobsAheadPerRun (16, their 8 x 2 job slots),
    # against each alone. The model: fair_seconds_per_batch per batch of fixed_batch_size, so that
    # the fleet does ~150 assets/s like (d) at 32 workers.
    fair_assets: tuple[int, int] = (10_000, 100)  # big, small; a big of 0 skips it
    fair_click_after_s: float = 10.0
    fair_workers: int = 8
    fair_seconds_per_batch: float = 0.43
    first_label_assets: tuple[int, int] = (100, 10_000)  # click -> 1st pre-label, small vs big
    first_label_runs: int = 3  # 0 skips it
    rss_model: str = "fixed-latency"  # RSS drift: its (c) worker over every (c) run
    accept_assets: int = 100_000  # 0 skips the listener accept measurement
    accept_runs: int = 200
    # `ango-batch work --grace`. The worker derives its idle long poll from it (handler/worker.py),
    # so this also sets how often idle workers call SQS. 60 s is the product's default.
    worker_grace: float = 60.0
    stop_grace: float = 25.0  # how long the benchmark waits after SIGTERM (idle polls are <= 20 s)
    run_timeout: float = 900.0
    out: Path = Path("out/bench.md")
    quick: bool = False

    def assets_for(self, model: str) -> int:
        return (self.assets or DEFAULT_ASSETS)[model]

    def fleets_for(self, model: str) -> tuple[int, ...]:
        """W of (d) for `model`: every fleet for fixed-latency, the first for the others."""
        many = tuple(w for w in self.workers if w > 1)
        return many if model == "fixed-latency" else many[:1]

    def fleet_assets(self, model: str, workers: int) -> int:
        """The project of a product run on W workers: fixed-latency's, one job per job slot, so each
        run of (c) and (d) is one worker's share of work long; the others', the model's project."""
        if model != "fixed-latency" or self.assets is not None:
            return self.assets_for(model)
        return workers * self.concurrency * self.job_size

    def alone_max_for(self, model: str) -> int:
        return min(self.alone_max, self.fixed_alone_max) if model == "fixed-latency" else self.alone_max

    def stock_assets_for(self, model: str) -> int:
        return min(self.assets_for(model), self.stock_assets)

    def runs_mode(self, model: str, mode: str) -> bool:
        """Whether `model` runs mode "a" to "e" (MODES); (d) needs W > 1, (e) a field project."""
        if mode == "d" and not self.fleets_for(model):
            return False
        if mode == "e" and self.field_assets <= 0:
            return False
        return mode in MODES[model]


QUICK = {
    "assets": QUICK_ASSETS,
    "rounds": 2,
    "workers": (2,),
    "latency_ms": 5.0,
    "job_size": 4,
    "seconds_per_batch": 0.2,
    "fixed_alone_max": 16,
    "stock_assets": 16,
    "video_seconds": 10.0,  # 100 frames, 10 of them to the model
    "field_assets": 16,
    "fair_assets": (200, 8),
    "fair_click_after_s": 2.0,
    "fair_workers": 2,
    "fair_seconds_per_batch": 0.05,
    "first_label_assets": (16, 400),
    "first_label_runs": 1,
    "accept_assets": 1000,
    "accept_runs": 20,
    "worker_grace": 2.0,
    "stop_grace": 3.0,
    "run_timeout": 120.0,
}


def parse_options(argv: list[str] | None = None) -> BenchOptions:
    args = _parser().parse_args(argv)
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    if not models or set(models) - set(MODELS):
        raise SystemExit(f"--models takes a comma-separated subset of {','.join(MODELS)}")
    if args.rss_model not in MODELS:
        raise SystemExit(f"--rss-model takes one of {','.join(MODELS)}")
    values: dict[str, Any] = dict(QUICK) if args.quick else {}
    values.update({name: getattr(args, name) for name in _FLAGS if getattr(args, name) is not None})
    if args.video_size is not None:
        values["video_size"] = parse_size(args.video_size)
    if args.first_label_assets is not None:
        values["first_label_assets"] = _pair(args.first_label_assets, "--first-label-assets")
    if args.fair_assets is not None:
        values["fair_assets"] = _pair(args.fair_assets, "--fair-assets")
    if args.workers is not None:
        values["workers"] = tuple(int(n) for n in args.workers.split(",") if n.strip())
        if not values["workers"] or min(values["workers"]) < 1:
            raise SystemExit("--workers takes fleet sizes of 1 or more, e.g. 8,32")
    assets = values.pop("assets", None)  # --assets N counts for every model
    options = replace(
        BenchOptions(models=models, rss_model=args.rss_model, quick=args.quick, out=Path(args.out)), **values
    )
    if options.rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    if isinstance(assets, int):
        assets = dict.fromkeys(MODELS, assets)
    return replace(options, assets=assets)


_FLAGS = (
    "assets",
    "rounds",
    "concurrency",
    "latency_ms",
    "batch_size",
    "job_size",
    "seconds_per_batch",
    "fixed_batch_size",
    "fixed_alone_max",
    "frame_stride",
    "video_seconds",
    "video_frames_per_job",
    "alone_max",
    "stock_assets",
    "field_assets",
    "field_seconds_per_batch",
    "field_requests",
    "field_window_s",
    "field_budget",
    "fair_click_after_s",
    "fair_workers",
    "fair_seconds_per_batch",
    "first_label_runs",
    "accept_assets",
    "accept_runs",
    "worker_grace",
    "stop_grace",
    "run_timeout",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf.bench",
        description="Throughput and overheads of the adapter against the stock BatchModelPlugin.",
    )
    add = parser.add_argument
    add(
        "--assets",
        type=int,
        help="assets per model (default: haar 740, ocr 48, video 1; fixed-latency 256 for (a) and "
        "(b), and one job per job slot for each (c) and (d))",
    )
    add("--rounds", type=int, help="runs of every mode, interleaved a, b, c, d, (e), a, ... (default 3)")
    add("--workers", help="W of (d) and (e), comma-separated (default 8,32; Haar runs the first)")
    add("--concurrency", type=int, help="jobs at once per worker process (default 2)")
    add("--latency-ms", type=float, help="latency of every REST call and download (default 20)")
    add("--models", default=",".join(MODELS), help="comma-separated: haar,fixed-latency,ocr,video")
    add("--batch-size", type=int, help="images per model call (default 16)")
    add("--job-size", type=int, help="assets per queued job (default 128)")
    add("--seconds-per-batch", type=float, help="the fixed-latency model's delay per batch (default 1.7)")
    add("--fixed-batch-size", type=int, help="the fixed-latency model's images per batch (default 8)")
    add("--fixed-alone-max", type=int, help="(a) of fixed-latency times this many assets (default 64)")
    add("--frame-stride", type=int, help="video row: every Nth frame to the model (default 10)")
    add("--video-seconds", type=float, help="video row: the video's length at 10 fps (default 300)")
    add("--video-size", help="video row: the video's WIDTHxHEIGHT (default 1280x720)")
    add(
        "--video-frames-per-job",
        type=int,
        help="video row: the workers' ANGO_BATCH_VIDEO_FRAMES_PER_JOB (default: the product's, 18000)",
    )
    add("--alone-max", type=int, help="(a) is timed over at most this many assets (default 512)")
    add("--stock-assets", type=int, help="(b) runs on min(N, this) assets (default 256)")
    add("--field-assets", type=int, help="assets of the field-limit runs (e) (default 4068); 0 skips")
    add("--field-seconds-per-batch", type=float, help="(e): the model's delay per 16 (default 0.2)")
    add("--field-requests", type=int, help="(e): the emulator's calls per key per window (default 20)")
    add("--field-window-s", type=float, help="(e): the emulator's sliding window (default 12 s)")
    add("--field-budget", type=float, help="(e): ANGO_REQUESTS_PER_MINUTE (default 100, the product's)")
    add("--fair-assets", help="fair turns: BIG,SMALL run sizes (default 10000,100); BIG 0 skips")
    add("--fair-click-after-s", type=float, help="fair turns: the small run's click (default 10 s in)")
    add("--fair-workers", type=int, help="fair turns: the fleet's workers (default 8)")
    add("--fair-seconds-per-batch", type=float, help="fair turns: the model's delay (default 0.43)")
    add("--first-label-assets", help="click -> 1st pre-label: SMALL,BIG project sizes (100,10000)")
    add("--first-label-runs", type=int, help="runs of each of those (default 3); 0 skips")
    add("--rss-model", default="fixed-latency", help="model whose (c) worker's RSS drift is judged")
    add("--accept-assets", type=int, help="project size for listener accept times (100000); 0 skips")
    add("--accept-runs", type=int, help="runs fired at that project (default 200)")
    add("--worker-grace", type=float, help="each worker's --grace (default 60, the product's own)")
    add("--stop-grace", type=float, help="seconds processes get to stop after SIGTERM (default 25)")
    add("--run-timeout", type=float, help="seconds one run may take (default 900)")
    add(
        "--quick",
        action="store_true",
        help="a small smoke run: 16 assets (ocr 6, video 1 of 10 s), 2 workers, 5 ms, fast models",
    )
    add("--out", default="out/bench.md", help="where the markdown report goes (default out/bench.md)")
    return parser


def _pair(text: str, flag: str) -> tuple[int, int]:
    try:
        first, second = (int(n) for n in text.split(","))
    except ValueError:
        raise SystemExit(f"{flag} takes two counts, e.g. 100,10000, not {text!r}") from None
    return first, second


def parse_size(text: str) -> tuple[int, int]:
    """`1920x1080` -> (1920, 1080)."""
    try:
        width, height = (int(n) for n in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--video-size takes WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}") from None
    if width < 1 or height < 1:
        raise SystemExit(f"--video-size takes a positive width and height, not {text!r}")
    return width, height


# The video row's workers wait this long for a Hub call (ANGO_TIMEOUT_SECONDS, the product's 30 s):
# the emulator counts a video's frames by decoding it whole when the run imports (infra/emulator/
# model.py, count_frames), 20 to 40 s for 30 minutes of 1080p on 2 cores, which a real Hub would not
# do on the import's way; past the timeout the worker would retry an import still being checked.
VIDEO_HUB_TIMEOUT_S = 600


def video_env(options: BenchOptions) -> dict[str, str]:
    """The video row's workers' settings beyond the bench's own: the Hub timeout above, and how
    many frames a job reads when asked."""
    env = {"ANGO_TIMEOUT_SECONDS": str(VIDEO_HUB_TIMEOUT_S)}
    frames = options.video_frames_per_job
    return env if frames is None else {**env, "ANGO_BATCH_VIDEO_FRAMES_PER_JOB": str(frames)}


def model_of(row: str) -> str:
    """The built-in model (`ANGO_BATCH_MODEL`) that a row runs: its own name, except ROW_MODELS'."""
    return ROW_MODELS.get(row, row)


def category_mapping(model: str) -> list[dict[str, str]]:
    """The user's class mapping onto the model's bench project: a one-class model's class onto the
    bounding-box tool; OCR's text lines onto the rotated-bounding-box tool.

    OCR's `text` answers stay unmapped, as in Hub's mapping dialog, which offers top-level labels:
    the product gives them the tool's one nested text classification (listener/mapping.py). The
    model alone's pre-label count needs no target for them: `build_item` makes an asset's item from
    its placed text lines, and leaves unmapped answers out without dropping the line."""
    if model == "ocr":
        return [{"schemaId": demo_data.TEXT_LINE_SCHEMA_ID, "modelClass": "text-line"}]
    (model_class,) = load_model_factory(model_of(model)).spec.classes
    return [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": model_class}]


def config_json(
    model: str,
    options: BenchOptions,
    existing: str = "skip",
    seconds_per_batch: float | None = None,
    batch_size: int | None = None,
) -> str:
    """The run's Config JSON, shared by the stock plugin and the product (frame_stride reaches
    only videos). The fixed-latency model's delay and batch are the options' unless given (the
    field-limit and fair-turns rows run it at other paces)."""
    spec = load_model_factory(model_of(model)).spec
    settings = dict(spec.default_config)
    batch = options.batch_size
    if model == "fixed-latency":
        settings["seconds_per_batch"] = seconds_per_batch or options.seconds_per_batch
        batch = batch_size or options.fixed_batch_size
    config = RunConfig(
        job_size=options.job_size,
        batch_size=batch,
        frame_stride=options.frame_stride,
        existing=existing,
        model=settings,
    )
    return json.dumps(config.model_dump())
