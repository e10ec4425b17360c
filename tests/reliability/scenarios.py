"""Scenario data and commands shared by the reliability and secret-canary tests."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np

from infra import demo_data
from infra.stack import StackOutputs
from tests.reliability.poison_model import POISON_RGB


def _extra_asset(
    index: int, external_id: str, content: bytes, content_type: str, **extra: Any
) -> dict[str, Any]:
    return {
        "_id": demo_data.asset_id(demo_data.BENCH_PROJECT_ID, index),
        "externalId": external_id,
        "batches": [demo_data.BATCH_A_ID],
        "contentType": content_type,
        "content": content,
        "width": 64,
        "height": 48,
        **extra,
    }


def poisoned_project() -> dict[str, Any]:
    """20 assets in 4 jobs of 5: jobs 0-1 ordinary; job 2 holds a corrupt file and a missing file
    among ordinary ones; job 3 holds an image that kills the model's process, among ordinary ones."""
    project = demo_data.bench_project(17)
    good = project["assets"]
    red = np.zeros((48, 64, 3), dtype=np.uint8)
    red[...] = POISON_RGB
    corrupt = _extra_asset(17, "corrupt.jpg", b"\xff\xd8 this is not a jpeg", "image/jpeg")
    missing = _extra_asset(18, "missing.jpg", demo_data.encode(red), "image/jpeg", fileMissing=True)
    poison = _extra_asset(19, "poison.png", demo_data.encode(red, "PNG"), "image/png")
    listed = [*good[:10], corrupt, missing, *good[10:13], poison, *good[13:]]
    project["assets"] = listed[::-1]  # seeded oldest first: Hub lists the newest first
    return project


def redrive(stack: StackOutputs) -> str:
    env = {
        **os.environ,
        "ANGO_BATCH_JOB_QUEUE_URL": stack.job_queue_url,
        "ANGO_BATCH_STATUS_QUEUE_URL": stack.status_queue_url,
        "ANGO_BATCH_JOB_DLQ_URL": stack.job_dlq_url,
        "ANGO_BATCH_LEDGER_BUCKET": stack.ledger_bucket,
        "ANGO_BATCH_KMS_KEY_ID": stack.kms_key_arn,
    }
    done = subprocess.run(
        [sys.executable, "-m", "listener.cli", "redrive"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
