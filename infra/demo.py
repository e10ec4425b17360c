"""`ango-batch demo`: the whole product on one machine, as a user would see it.

LocalStack (queues, bucket, key from template.yaml), the Ango Hub emulator with a demo project, one
listener and N workers as separate processes; then a user clicks Run on Batch A, a progress bar
follows the run, and the final message, a summary and a picture of a labeled asset come out.

`--model haar` (the default) finds faces in the faces project; `--model ocr` reads the documents
project's pictures of text, each line a rotated box holding the text read in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import cv2
import numpy as np
import requests

from handler.assets import decode_image
from handler.contract.model import load_model_factory
from handler.contract.run_config import default_config_json
from handler.outputs.conversions import corners
from handler.outputs.shapes import RotatedBox
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator
from infra.localstack import DEFAULT_ENDPOINT, ensure_localstack, local_aws_env
from infra.processes import AdapterProcesses, adapter_env, adapter_processes
from infra.stack import deploy_stack

RUN_TIMEOUT = 300.0


@dataclass(frozen=True)
class DemoRun:
    """What the demo user clicks for a model: the project, and the class mapping."""

    project_id: str
    mapping: tuple[tuple[str, str], ...]  # (model class, schemaId)


DEMO_RUNS = {
    "haar": DemoRun(demo_data.PROJECT_ID, (("Face", demo_data.FACE_SCHEMA_ID),)),
    # The text read in each line is not mapped: it fills the Text line tool's one nested text.
    "ocr": DemoRun(demo_data.DOCUMENTS_PROJECT_ID, (("text-line", demo_data.TEXT_LINE_SCHEMA_ID),)),
}


def run_demo(workers: int = 2, out_dir: str = "out", model: str = "haar") -> int:
    out = Path(out_dir)
    with _local_services(model) as (emulator, processes):
        _say(f"Starting the listener and {workers} workers (model: {model}) …")
        processes.start_listener()
        for _ in range(workers):
            processes.start_worker()
        emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)
        _say("The plugin is live in Ango Hub. A user clicks Run on Batch A …")
        session = start_demo_run(emulator, model=model)
        project_id = DEMO_RUNS[model].project_id
        result = _follow(emulator, session, processes, project_id)
        if result is None:
            return 1
        _say(f"\nFinal message: {result}")
        _summarise(emulator, out, project_id)
    return 0


def start_demo_run(
    emulator: EmulatorControl, batches: list[str] | None = None, job_size: int = 8, model: str = "haar"
) -> str:
    """Run `model` on Batch A of its demo project, in small jobs so that every worker gets some."""
    demo = DEMO_RUNS[model]
    config = json.loads(default_config_json(load_model_factory(model).spec))
    config["job_size"] = job_size
    return emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=demo.project_id,
        user_api_key=demo_data.API_KEY,
        category_schema=[{"schemaId": schema_id, "modelClass": name} for name, schema_id in demo.mapping],
        batches=[demo_data.BATCH_A_ID] if batches is None else batches,
        config_json=json.dumps(config),
    )


@contextlib.contextmanager
def _local_services(model: str) -> Iterator[tuple[EmulatorControl, AdapterProcesses]]:
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
                {"ANGO_BATCH_PROGRESS_INTERVAL_SECONDS": "1", "ANGO_BATCH_MODEL": model},
            )
            with adapter_processes(env, Path(logs)) as processes:
                yield emulator, processes
    finally:
        if started is not None:
            started.stop()


def _follow(
    emulator: EmulatorControl, session: str, processes: AdapterProcesses, project_id: str
) -> str | None:
    deadline = time.monotonic() + RUN_TIMEOUT
    total = sum(demo_data.BATCH_A_ID in a["batches"] for a in emulator.labels(project_id)["assets"])
    while time.monotonic() < deadline:
        state = emulator.session(session)
        done = sum(1 for a in emulator.labels(project_id)["assets"] if a["importCount"])
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


def _summarise(emulator: EmulatorControl, out: Path, project_id: str) -> None:
    assets = emulator.labels(project_id)["assets"]
    labeled = [a for a in assets if a["answer"] and a["answer"].get("tools")]
    untouched = [a for a in assets if demo_data.BATCH_A_ID not in a["batches"] and a["importCount"]]
    _say(
        f"Pre-labels: {len(labeled)} assets carry {sum(len(a['answer']['tools']) for a in labeled)} "
        f"objects; assets outside Batch A touched: {len(untouched)}."
    )
    for asset in labeled[:8]:
        tools = asset["answer"]["tools"]
        _say(f"  {asset['externalId']:<32} {len(tools)} object(s), first: {_describe(tools[0])}")
    if labeled:
        picture = _draw(emulator, labeled[0], out, project_id)
        _say(f"Picture of a labeled asset with its pre-labels: {picture}")


def _describe(tool: dict[str, Any]) -> str:
    texts = [c["answer"] for c in tool.get("classifications", ()) if isinstance(c.get("answer"), str)]
    geometry: dict[str, float] = next(
        (v for k, v in tool.items() if k in ("bounding-box", "rotated-bounding-box")), {}
    )
    where = ", ".join(f"{k} {round(v)}" for k, v in geometry.items())
    return f"{where}" + (f", text {texts[0]!r}" if texts else "")


def _draw(emulator: EmulatorControl, asset: dict[str, Any], out: Path, project_id: str) -> Path:
    url = f"{emulator.base_url}/v2/project/{project_id}/assets"
    params: dict[str, str | int] = {"page": 1, "limit": 1, "filters": f'{{"_id": "{asset["_id"]}"}}'}
    listed = requests.get(url, params=params, headers={"apikey": demo_data.API_KEY}, timeout=10).json()
    data = requests.get(listed["data"]["assets"][0]["data"], timeout=10).content
    image = decode_image(data)
    green = (0, 160, 0)
    for tool in asset["answer"]["tools"]:
        if "rotated-bounding-box" in tool:
            outline = corners(RotatedBox(**tool["rotated-bounding-box"]))
        else:
            box = tool["bounding-box"]
            x, y, w, h = (box[k] for k in ("x", "y", "width", "height"))
            outline = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        points = [(round(px), round(py)) for px, py in outline]
        cv2.polylines(image, [np.array(points, dtype=np.int32)], True, green, 2)
        texts = [c["answer"] for c in tool.get("classifications", ()) if isinstance(c.get("answer"), str)]
        label = texts[0] if texts else "Face"
        top_left = min(points, key=lambda p: p[0] + p[1])
        cv2.putText(
            image, label, (top_left[0], max(12, top_left[1] - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.6, green, 2
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"labeled-{asset['externalId'].rsplit('.', 1)[0]}.png"
    cv2.imwrite(str(path), image)
    return path


def _say(message: str) -> None:
    print(message, flush=True)
