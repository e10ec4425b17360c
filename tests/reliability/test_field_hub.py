"""The product against the emulator with what is known of the real Hub turned on: private storage
that needs signing, tasks that are not To Do, several batches (any of them), reruns, payloads with
null fields, a non-image project, a key that cannot be a key, and a per-key rate limit.

Every count in the final message is checked against what the emulator's Hub holds afterwards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.stack import StackOutputs
from tests.reliability.conftest import (
    Cluster,
    cluster,
    emulator_with,
    hub_labels,
    start_run,
    wait_for_response,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FIELD_PROJECT_ID = "65d4c0de00000000000000f1"
PCT_PROJECT_ID = "65d4c0de00000000000000f2"
A, B = demo_data.BATCH_A_ID, demo_data.BATCH_B_ID
SIGNATURE = re.compile(r"X-Ango-Signature=[0-9a-f]+")


def field_project() -> dict[str, Any]:
    """12 assets: 0-5 in A (4 and 5 also in B), 6-9 in B, 10-11 in no batch. Asset 1's task is
    COMPLETED, 6's IN_PROGRESS; 2 and 7 sit in private storage; 3 has no data URL; 8 shares its
    externalId with 10, which is outside the selection."""
    project = demo_data.bench_project(12, project_id=FIELD_PROJECT_ID)
    batches = [[A], [A], [A], [A], [A, B], [A, B], [B], [B], [B], [B], [], []]
    for index, asset in enumerate(project["assets"]):
        asset["batches"] = batches[index]
    assets = project["assets"]
    assets[1]["status"] = "COMPLETED"
    assets[6]["status"] = "IN_PROGRESS"
    assets[2]["private"] = assets[7]["private"] = True
    assets[3]["dataMissing"] = True
    assets[10]["externalId"] = assets[8]["externalId"]
    return project


def point_cloud_project() -> dict[str, Any]:
    return {**demo_data.bench_project(1, project_id=PCT_PROJECT_ID), "type": "pct"}


def run_and_wait(emulator: EmulatorControl, running: Cluster, **options: Any) -> dict[str, Any]:
    session = start_field_run(emulator, **options)
    return wait_for_response(emulator, session, running, timeout=90)


def start_field_run(emulator: EmulatorControl, **options: Any) -> str:
    config = {"job_size": 4, "model": {"seconds_per_batch": 0.01}, **options.pop("config", {})}
    return emulator.start_run(
        plugin_id=demo_data.PLUGIN_ID,
        project_id=FIELD_PROJECT_ID,
        user_api_key=demo_data.API_KEY,
        category_schema=[
            {"schemaId": demo_data.FACE_SCHEMA_ID, "modelClass": "Object"},
            {"schemaId": None, "modelClass": "Object"},  # a class left unmapped
        ],
        config_json=json.dumps(config),
        **options,
    )


def objects_per_asset(emulator: EmulatorControl) -> dict[str, int]:
    return {a["_id"]: len(a["answer"]["tools"]) for a in emulator.labels(FIELD_PROJECT_ID)["assets"]}


def test_counts_match_what_hub_holds_across_private_assets_statuses_batches_and_reruns(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    with (
        emulator_with([field_project()]) as emulator,
        cluster(localstack, stack, emulator, tmp_path, 2) as running,
    ):
        ids = [demo_data.asset_id(FIELD_PROJECT_ID, i) for i in range(12)]
        first = run_and_wait(emulator, running, batches=[A, B], nulls=["orgId", "runBy"])
        labeled = {ids[i] for i in (0, 2, 4, 5, 7, 8, 9)}
        held = objects_per_asset(emulator)
        assert {asset for asset, count in held.items() if count} == labeled  # not 10: same externalId
        assert all(held[asset] == 1 for asset in labeled)
        assert first["responses"] == [
            {"response": first["responses"][0]["response"], "session": first["session"]}
        ]
        message = first["responses"][0]["response"]
        assert message.startswith("Pre-labeled 7 of 10 assets with 7 objects"), message
        assert "2 assets skipped (1 status COMPLETED, 1 status IN_PROGRESS); 1 assets failed" in message
        assert any("no data URL" in log["msg"] for log in first["logs"]), [
            log["msg"] for log in first["logs"]
        ]

        again = run_and_wait(emulator, running, batches=[A, B], omit=["batches"])  # the whole project
        message = again["responses"][0]["response"]
        # 10 and 11 are new to this selection; 10 shares 8's externalId and gets its own label.
        assert message.startswith("Pre-labeled 2 of 12 assets"), message
        assert "9 assets skipped (7 already pre-labeled, 1 status COMPLETED, 1 status IN_PROGRESS)" in message
        held = objects_per_asset(emulator)
        assert all(held[asset] == 1 for asset in labeled | {ids[10], ids[11]})

        more = run_and_wait(emulator, running, batches=[A], config={"existing": "add"})
        assert more["responses"][0]["response"].startswith("Pre-labeled 4 of 6 assets"), more
        held = objects_per_asset(emulator)
        assert [held[ids[i]] for i in (0, 2, 4, 5, 7)] == [2, 2, 2, 2, 1]

        summary = emulator.project_summary(FIELD_PROJECT_ID)
        assert summary.duplicate_objects == 0 and summary.objects == sum(held.values())
        assert_no_signed_url_kept(running, stack)


def assert_no_signed_url_kept(running: Cluster, stack: StackOutputs) -> None:
    """A signed URL's query is a credential: it is in no log and no ledger object."""
    assert not SIGNATURE.search(running.logs())
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.ledger_bucket).get("Contents", [])]
    assert keys  # the run left its records: the scan below is not vacuous
    for key in keys:
        try:
            body = s3.get_object(Bucket=stack.ledger_bucket, Key=key)["Body"].read().decode(errors="replace")
        except s3.exceptions.NoSuchKey:  # a marker cleared since the listing (runs/_active/...)
            continue
        assert not SIGNATURE.search(body), key


def test_runs_that_cannot_start_answer_in_hubs_error_form_with_the_reason_logged(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    bad_key = "key-with\r\nX-Injected: header-e21f"
    with (
        emulator_with([point_cloud_project()]) as emulator,
        cluster(localstack, stack, emulator, tmp_path, 1) as running,
    ):
        session = start_run(emulator, PCT_PROJECT_ID)
        pct_run = wait_for_response(emulator, session, running, timeout=30)
        raw = {"projectId": FIELD_PROJECT_ID, "apiKey": bad_key, "session": "s-bad-key", "configJSON": None}
        emulator.start_run(demo_data.PLUGIN_ID, FIELD_PROJECT_ID, demo_data.API_KEY, raw_payload=raw)
        key_run = wait_for_response(emulator, "s-bad-key", running, timeout=30)
    for state, reason in ((pct_run, "is a point cloud project (type 'pct')"), (key_run, "invalid apiKey")):
        assert state["responses"] == [{"error": True, "session": state["session"]}]
        errors = [log["msg"] for log in state["logs"] if log["level"] == "ERROR"]
        assert len(errors) == 1 and errors[0].startswith("Run not started: ") and reason in errors[0]
    assert "header-e21f" not in running.logs()
    assert all("header-e21f" not in log["msg"] for log in key_run["logs"])


def test_a_rate_limited_key_slows_the_run_down_but_fails_nothing(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    """2,000 assets, 8 workers, the emulator limiting the key to 20 requests per 10 s (Hub's 100 a
    minute, scaled a little up); the adapter runs with its default budget of 100 a minute."""
    project = demo_data.bench_project(2000, project_id=FIELD_PROJECT_ID)
    knobs = {"rate_limit": True, "rate_limit_requests": 20, "rate_limit_window_s": 10.0, "latency_ms": 5}
    default_budget = {"ANGO_REQUESTS_PER_MINUTE": "100"}
    with (
        emulator_with([project], **knobs) as emulator,
        cluster(localstack, stack, emulator, tmp_path, 8, env=default_budget) as running,
    ):
        session = start_run(emulator, FIELD_PROJECT_ID, seconds_per_batch=0.02, job_size=128)
        state = wait_for_response(emulator, session, running, timeout=400)
        requests = sum(v["requests"] for v in emulator.rate_limit_stats().values())
        throttled = emulator.throttled_total()
        summary = emulator.project_summary(FIELD_PROJECT_ID)
    message = state["responses"][0]["response"]
    assert message.startswith("Pre-labeled 2000 of 2000 assets") and "; 0 assets failed" in message, message
    assert summary.prelabeled_assets == 2000 and summary.duplicate_objects == 0
    dlq = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.job_dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "0"
    ledger = boto3.client("s3").list_objects_v2(Bucket=stack.ledger_bucket).get("Contents", [])
    assert ledger and not [o["Key"] for o in ledger if "/dead/" in o["Key"]]  # nothing dead-lettered
    served = requests - throttled
    print(
        f"\nrate-limited run: {served} Hub calls served ({served / 2000:.4f} per asset), "
        f"{throttled} answered 429"
    )
    assert served / 2000 <= 0.02  # one tasks page per 100 assets, one import per job of 128


def test_a_team_uploading_while_the_run_lists_gets_each_asset_labeled_once(
    localstack: str, stack: StackOutputs, tmp_path: Path
) -> None:
    """Hub lists newest first, so every upload pushes the pages down; here 150 assets arrive
    before each listing call answers, more than a page between two reads. The run covers the 650
    assets there at its first listing answer (the 500 and the first 150 uploads), each once, and
    none of the later uploads."""
    project = demo_data.bench_project(500, project_id=FIELD_PROJECT_ID)
    with (
        emulator_with([project], uploads_per_listing=150) as emulator,
        cluster(localstack, stack, emulator, tmp_path, 2) as running,
    ):
        session = start_run(emulator, FIELD_PROJECT_ID, seconds_per_batch=0.02, job_size=64)
        state = wait_for_response(emulator, session, running, timeout=180)
        summary = emulator.project_summary(FIELD_PROJECT_ID)
        labels = hub_labels(emulator, FIELD_PROJECT_ID)
    message = state["responses"][0]["response"]
    assert message.startswith("Pre-labeled 650 of 650 assets") and "; 0 assets failed" in message, message
    assert summary.prelabeled_assets == 650 and summary.duplicate_objects == 0
    uploads = sorted(external_id for external_id in labels if external_id.startswith("upload-"))
    assert len(uploads) >= 150 * 5  # a listing call or more per page of the 650
    labeled = {external_id for external_id, objects in labels.items() if objects}
    assert labeled == {a["externalId"] for a in project["assets"]} | set(uploads[:150])
