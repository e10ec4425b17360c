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

MODELS = ("haar", "fixed-latency")
# Sized so that `make bench` takes about 10-15 minutes on a 2-core machine: Haar is CPU-bound
# (~30 assets/s there), the fixed-latency model sleeps (~80 assets/s per process at 16 per 0.2 s).
DEFAULT_ASSETS = {"haar": 1200, "fixed-latency": 4000}


@dataclass(frozen=True)
class BenchOptions:
    models: tuple[str, ...] = MODELS
    assets: dict[str, int] | None = None  # per model; None -> DEFAULT_ASSETS
    workers: int = 8
    concurrency: int = 2  # jobs at once per worker process (`ango-batch work --concurrency`)
    latency_ms: float = 20.0  # per Ango REST call and per asset download
    batch_size: int = 16
    job_size: int = 48
    seconds_per_batch: float = 0.2  # the fixed-latency model's delay per batch
    alone_max: int = 1000  # (a) is timed over at most this many assets
    rss_assets: int = 5000  # 0 skips the RSS run
    rss_model: str = "fixed-latency"
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


QUICK = {
    "assets": 16,
    "workers": 2,
    "latency_ms": 5.0,
    "job_size": 4,
    "rss_assets": 64,
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
    count = values.pop("assets", None)
    options = replace(
        BenchOptions(models=models, rss_model=args.rss_model, quick=args.quick, out=Path(args.out)), **values
    )
    return options if count is None else replace(options, assets=dict.fromkeys(MODELS, int(count)))


_FLAGS = (
    "assets",
    "workers",
    "concurrency",
    "latency_ms",
    "batch_size",
    "job_size",
    "seconds_per_batch",
    "alone_max",
    "rss_assets",
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
    add("--assets", type=int, help="assets per model (default: haar 1200, fixed-latency 4000)")
    add("--workers", type=int, help="W, worker processes of the many-workers run (default 8)")
    add("--concurrency", type=int, help="jobs at once per worker process (default 2)")
    add("--latency-ms", type=float, help="latency of every REST call and download (default 20)")
    add("--models", default=",".join(MODELS), help="comma-separated: haar,fixed-latency")
    add("--batch-size", type=int, help="images per model call (default 16)")
    add("--job-size", type=int, help="assets per queued job (default 48)")
    add("--seconds-per-batch", type=float, help="the fixed-latency model's delay (default 0.2)")
    add("--alone-max", type=int, help="(a) is timed over at most this many assets (default 1000)")
    add("--rss-assets", type=int, help="assets of the 1-worker RSS run (default 5000); 0 skips it")
    add("--rss-model", default="fixed-latency", help="model of the RSS run (default fixed-latency)")
    add("--accept-assets", type=int, help="project size for listener accept times (100000); 0 skips")
    add("--accept-runs", type=int, help="runs fired at that project (default 200)")
    add("--worker-grace", type=float, help="each worker's --grace (default 60, the product's own)")
    add("--stop-grace", type=float, help="seconds processes get to stop after SIGTERM (default 25)")
    add("--run-timeout", type=float, help="seconds one run may take (default 900)")
    add("--quick", action="store_true", help="a small smoke run: 16 assets, 2 workers, 5 ms")
    add("--out", default="out/bench.md", help="where the markdown report goes (default out/bench.md)")
    return parser


def category_mapping(model: str) -> list[dict[str, str]]:
    """The user's class mapping: the model's one class onto the bench project's bounding-box tool."""
    (model_class,) = load_model_factory(model).spec.classes
    return [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": model_class}]


def config_json(model: str, options: BenchOptions) -> str:
    """The run's Config JSON, shared by the stock plugin and the product."""
    spec = load_model_factory(model).spec
    settings = dict(spec.default_config)
    if model == "fixed-latency":
        settings["seconds_per_batch"] = options.seconds_per_batch
    config = RunConfig(job_size=options.job_size, batch_size=options.batch_size, model=settings)
    return json.dumps(config.model_dump())
