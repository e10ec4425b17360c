"""`ango-batch demo`: the whole product on one machine, as a user would see it.

LocalStack (queues, bucket, key from template.yaml), the Ango Hub emulator with a demo project, one
listener and N workers as separate processes; then a user clicks Run on Batch A, a progress bar
follows the run, and the final message, a summary and a picture of a labeled asset come out.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import cv2
import requests

from handler.assets import decode_image
from handler.contract.model import load_model_factory
from handler.contract.run_config import default_config_json
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator
from infra.localstack import DEFAULT_ENDPOINT, ensure_localstack, local_aws_env
from infra.processes import AdapterProcesses, adapter_env, adapter_processes
from infra.stack import deploy_stack

RUN_TIMEOUT = 300.0


def run_demo(workers: int = 2, out_dir: str = "out") -> int:
    out = Path(out_dir)
    with _local_services() as (emulator, processes):
        _say(f"Starting the listener and {workers} workers …")
        processes.start_listener()
        for _ in range(workers):
            processes.start_worker()
        emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)
        _say("The plugin is live in Ango Hub. A user clicks Run on Batch A …")
        session = start_demo_run(emulator)
        result = _follow(emulator, session, processes)
        if result is None:
            return 1
        _say(f"\nFinal message: {result}")
        _summarise(emulator, out)
    return 0


def start_demo_run(emulator: EmulatorControl, batches: list[str] | None = None, job_size: int = 8) -> str:
    """Run the Haar model on Batch A, in small jobs so that every worker gets some."""
    config = json.loads(default_config_json(load_model_factory("haar").spec))
    config["job_size"] = job_size
    return emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=demo_data.PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=[{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Face"}],
        batches=[demo_data.BATCH_A_ID] if batches is None else batches,
        config_json=json.dumps(config),
    )


@contextlib.contextmanager
def _local_services() -> Iterator[tuple[EmulatorControl, AdapterProcesses]]:
    _say("Starting LocalStack (first start takes a few seconds) …")
    started = ensure_localstack(DEFAULT_ENDPOINT)
    try:
        aws_env = local_aws_env(DEFAULT_ENDPOINT)
        with mock.patch.dict(os.environ, aws_env):
            _say("Deploying template.yaml to LocalStack (queues, dead-letter queues, bucket, KMS key) …")
            outputs = deploy_stack()
        with run_emulator(seed="demo") as emulator, tempfile.TemporaryDirectory() as logs:
            env = adapter_env(
                outputs,
                emulator.base_url,
                demo_data.PLUGIN_ID,
                demo_data.PLUGIN_SECRET,
                aws_env,
                {"ANGO_BATCH_PROGRESS_INTERVAL_SECONDS": "1"},
            )
            with adapter_processes(env, Path(logs)) as processes:
                yield emulator, processes
    finally:
        if started is not None:
            started.stop()


def _follow(emulator: EmulatorControl, session: str, processes: AdapterProcesses) -> str | None:
    deadline = time.monotonic() + RUN_TIMEOUT
    total = sum(demo_data.BATCH_A_ID in a["batches"] for a in emulator.labels(demo_data.PROJECT_ID)["assets"])
    while time.monotonic() < deadline:
        state = emulator.session(session)
        done = sum(1 for a in emulator.labels(demo_data.PROJECT_ID)["assets"] if a["importCount"])
        _progress_bar(done, total, state["logs"][-1]["msg"] if state["logs"] else "waiting …")
        if state["responses"]:
            response = state["responses"][0]
            return str(response.get("response") or "the run failed (error response)")
        if any(p.poll() is not None for p in processes.all()):
            _say("\nA process of the adapter exited early; its log:\n" + processes.log_text("listener"))
            return None
        time.sleep(0.5)
    _say("\nNo final message within the time limit.")
    return None


def _progress_bar(done: int, total: int, last_log: str) -> None:
    width = 30
    filled = width * done // max(1, total)
    bar = "#" * filled + "-" * (width - filled)
    sys.stdout.write(f"\r[{bar}] {done:3d}/{total} pre-labeled | {last_log[:60]:<60}")
    sys.stdout.flush()


def _summarise(emulator: EmulatorControl, out: Path) -> None:
    assets = emulator.labels(demo_data.PROJECT_ID)["assets"]
    labeled = [a for a in assets if a["answer"] and a["answer"].get("tools")]
    untouched = [a for a in assets if demo_data.BATCH_A_ID not in a["batches"] and a["importCount"]]
    _say(
        f"Pre-labels: {len(labeled)} assets carry {sum(len(a['answer']['tools']) for a in labeled)} "
        f"Face boxes; assets outside Batch A touched: {len(untouched)}."
    )
    for asset in labeled[:8]:
        boxes = [t["bounding-box"] for t in asset["answer"]["tools"]]
        _say(f"  {asset['externalId']:<32} {len(boxes)} box(es), first at {boxes[0]}")
    if labeled:
        picture = _draw(emulator, labeled[0], out)
        _say(f"Picture of a labeled asset with its boxes: {picture}")


def _draw(emulator: EmulatorControl, asset: dict[str, Any], out: Path) -> Path:
    url = f"{emulator.base_url}/v2/project/{demo_data.PROJECT_ID}/assets"
    params: dict[str, str | int] = {"page": 1, "limit": 1, "filters": f'{{"_id": "{asset["_id"]}"}}'}
    listed = requests.get(url, params=params, headers={"apikey": demo_data.API_KEY}, timeout=10).json()
    data = requests.get(listed["data"]["assets"][0]["data"], timeout=10).content
    image = decode_image(data)
    for tool in asset["answer"]["tools"]:
        box = tool["bounding-box"]
        x, y, w, h = (round(box[k]) for k in ("x", "y", "width", "height"))
        cv2.rectangle(image, (x, y), (x + w, y + h), (0, 255, 0), 3)
        cv2.putText(image, "Face", (x, max(0, y - 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 255, 0), 2)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"labeled-{asset['externalId'].rsplit('.', 1)[0]}.png"
    cv2.imwrite(str(path), image)
    return path


def _say(message: str) -> None:
    print(message, flush=True)
