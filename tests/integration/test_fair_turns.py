"""Fair turns between runs, end to end on LocalStack: a small run clicked while a big run on another
project (another user's key) is under way is answered long before the big run ends, because a run
keeps at most `ANGO_BATCH_JOBS_AHEAD_PER_RUN` jobs queued (here 4: the two workers' four job slots)
and its plan job lists on as they finish. Without the limit the small run's one job would wait
behind every job the big run queued first.

Judged by order, not by time: when the small run is answered, the big run must have most of its
jobs still to finish. Its timing (within 2x of the small run alone) is the benchmark's to measure.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from handler.contract.aws import make_clients
from handler.contract.ledger import Ledger
from handler.contract.settings import Settings
from infra import demo_data
from infra.emulator.control import EmulatorControl
from listener.acceptance import run_id_for
from tests.integration.test_end_to_end import finish

pytestmark = pytest.mark.integration
JOBS_AHEAD = 4
ADAPTER_ENV = {"ANGO_BATCH_MODEL": "fixed-latency", "ANGO_BATCH_JOBS_AHEAD_PER_RUN": str(JOBS_AHEAD)}
BIG_PROJECT_ID, SMALL_PROJECT_ID = "65d4c0de00000000000000f1", "65d4c0de00000000000000f2"
BIG_JOBS = 60
# Ten assets a job, one model call of a second each: the big run is 60 one-second jobs on 4 slots.
CONFIG = json.dumps({"job_size": 10, "batch_size": 10, "model": {"seconds_per_batch": 1.0}})
MAPPING = [{"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Object"}]


def _project(project_id: str, n_assets: int) -> dict[str, Any]:
    spec = demo_data.bench_project(n_assets, project_id)
    for asset in spec["assets"]:
        asset["contentBase64"] = base64.b64encode(asset.pop("content")).decode()
    return spec


def _seed(emulator: EmulatorControl) -> None:
    emulator.seed(
        {
            "users": [
                {
                    "userId": demo_data.USER_ID,
                    "apiKey": demo_data.API_KEY,
                    "orgId": demo_data.ORG_ID,
                    "projects": [BIG_PROJECT_ID],
                },
                {
                    "userId": demo_data.OTHER_USER_ID,
                    "apiKey": demo_data.OTHER_API_KEY,
                    "orgId": demo_data.ORG_ID,
                    "projects": [SMALL_PROJECT_ID],
                },
            ],
            "projects": [_project(BIG_PROJECT_ID, BIG_JOBS * 10), _project(SMALL_PROJECT_ID, 10)],
        }
    )


def test_a_small_run_clicked_during_a_big_one_is_answered_before_most_of_the_big_run(
    emulator: EmulatorControl, adapter: Any, settings: Settings
) -> None:
    _seed(emulator)
    big = emulator.start_run(
        demo_data.PLUGIN_ID, BIG_PROJECT_ID, demo_data.API_KEY, MAPPING, config_json=CONFIG
    )
    ledger = Ledger.of(settings, make_clients())
    big_run = run_id_for(demo_data.PLUGIN_ID, big)
    deadline = time.monotonic() + 60
    while ledger.count_job_results(big_run) < 2:  # the big run is under way, its first jobs done
        assert time.monotonic() < deadline, "the big run never started"
        time.sleep(0.2)
    small = emulator.start_run(
        demo_data.PLUGIN_ID, SMALL_PROJECT_ID, demo_data.OTHER_API_KEY, MAPPING, config_json=CONFIG
    )
    small_state = finish(emulator, small, adapter)
    big_done_then = ledger.count_job_results(big_run)
    assert small_state["responses"][0]["response"].startswith("Pre-labeled 10 of 10 assets")
    # Behind at most JOBS_AHEAD queued big jobs and the four running: well under half of the 60.
    assert big_done_then <= BIG_JOBS // 2, big_done_then
    big_state = finish(emulator, big, adapter)
    assert big_state["responses"][0]["response"].startswith(f"Pre-labeled {BIG_JOBS * 10} of {BIG_JOBS * 10}")
