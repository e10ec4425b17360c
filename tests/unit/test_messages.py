import pytest
from pydantic import ValidationError

from handler.contract.messages import AssetRef, InferJob, PlanJob, dump_message, parse_job

pytestmark = pytest.mark.unit


def assets(n, url_length=40):
    return [
        AssetRef(asset_id=f"a{i}", external_id=f"e{i}", data_url="http://h/" + "x" * url_length)
        for i in range(n)
    ]


def test_jobs_round_trip_and_malformed_bodies_fail_at_the_door():
    job = InferJob(run_id="r", job_id="000001", assets=tuple(assets(2)))
    assert parse_job(dump_message(job)) == job
    assert parse_job(dump_message(PlanJob(run_id="r"))) == PlanJob(run_id="r")
    for body in [
        '{"kind": "infer", "run_id": "r"}',
        '{"kind": "nope"}',
        "not json",
        '{"kind": "plan", "run_id": "r", "apiKey": "leak"}',
    ]:
        with pytest.raises(ValidationError):
            parse_job(body)
