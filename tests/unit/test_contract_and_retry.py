import pytest
from pydantic import ValidationError

from handler.contract.messages import MAX_MESSAGE_BYTES, AssetRef, InferJob, PlanJob, dump_message, parse_job
from handler.contract.retry import RetryPolicy, TransientError, call_with_retries
from handler.planner import _chunk

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


def test_chunking_respects_job_size_and_the_message_budget():
    small = list(_chunk("r", 7, assets(120), 50))
    assert [len(j.assets) for j in small] == [50, 50, 20]
    assert [j.job_id for j in small] == ["000007", "000008", "000009"]  # numbered on from the cursor
    big = list(_chunk("r", 0, assets(100, url_length=2000), 100))
    assert sum(len(j.assets) for j in big) == 100
    assert all(len(dump_message(j).encode()) <= MAX_MESSAGE_BYTES for j in big)


def test_retries_are_bounded_and_honour_retry_after():
    sleeps, calls = [], []

    def flaky():
        calls.append(1)
        raise TransientError("HTTP 429", retry_after=3.0)

    with pytest.raises(TransientError):
        call_with_retries(flaky, "x", RetryPolicy(attempts=4), sleep=sleeps.append)
    assert len(calls) == 4 and sleeps == [3.0, 3.0, 3.0]


def test_backoff_is_full_jitter_under_the_cap():
    policy = RetryPolicy(base_delay=1, max_delay=5)
    delays = [policy.delay(attempt, None) for attempt in range(10) for _ in range(20)]
    assert all(0 <= d <= 5 for d in delays) and len(set(delays)) > 100
