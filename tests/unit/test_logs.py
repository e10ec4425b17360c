"""Logs: one JSON (or text) line per record with the ids of the job that wrote it, from any thread,
and no secret in flight, not even inside a traceback."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handler.contract.logs import asset_task, configure_logging, in_context, log_context
from handler.contract.messages import AssetRef
from handler.contract.redaction import MASK, in_flight

pytestmark = pytest.mark.unit
log = logging.getLogger("handler.test_logs")


@pytest.fixture
def root_restored() -> Iterator[None]:
    """configure_logging replaces the root logger's handlers; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _job(n: int, barrier: threading.Barrier, pool: ThreadPoolExecutor) -> None:
    asset = AssetRef(asset_id=f"asset-{n}", external_id=f"{n}.jpg", data_url="https://x/y")
    with log_context(run_id=f"run-{n}", job_id=f"job-{n}"):
        for step in range(3):
            barrier.wait(timeout=5)  # both jobs are inside their context at every step
            log.info("job %d step %d", n, step)
        # A download-like task on a pool thread shared by both jobs: the job's ids plus the asset's.
        pool.submit(asset_task(lambda a: log.info("job %d fetched %s", n, a.asset_id)), asset).result()
        pool.submit(in_context(log.info), "job %d on the pool", n).result()
        barrier.wait(timeout=5)


def test_two_jobs_on_two_threads_each_log_their_own_ids(root_restored: None) -> None:
    stream = io.StringIO()
    configure_logging("ango-batch-handler", "json", "INFO", stream)
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(1) as pool:  # one pool thread, reused by both jobs
        jobs = [threading.Thread(target=_job, args=(n, barrier, pool)) for n in (1, 2)]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(timeout=10)
    log.info("after both jobs")

    lines = json_lines(stream)
    assert len(lines) == 2 * 5 + 1
    for line in lines[:-1]:
        n = int(line["message"].split()[1])
        assert (line["run_id"], line["job_id"]) == (f"run-{n}", f"job-{n}"), line
        assert line["service"] == "ango-batch-handler"
        assert line["name"] == "handler.test_logs"
        assert line["level"] == "INFO"
        assert line.get("asset_id") == (f"asset-{n}" if "fetched" in line["message"] else None), line
    # The steps of the two jobs interleave, so the ids cannot come from order.
    assert [int(line["message"].split()[1]) for line in lines[:2]] != [1, 1]
    assert not {"run_id", "job_id", "asset_id"} & set(lines[-1])


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_secret_inside_an_exception_never_reaches_the_output(root_restored: None, fmt: Any) -> None:
    secret = "ango-key-7f3c9a1e55d0"
    stream = io.StringIO()
    configure_logging("ango-batch-listener", fmt, "INFO", stream)
    with in_flight(secret), log_context(run_id="run-1"):
        try:
            raise ValueError(f"Invalid header value b'{secret}'")
        except ValueError:
            log.exception("get project failed for key %s", secret)

    output = stream.getvalue()
    assert secret not in output
    assert output.count(MASK) == 2  # the message's argument and the exception's text
    assert "ValueError: Invalid header value b'[REDACTED]'" in output
    if fmt == "json":
        (line,) = json_lines(stream)
        assert line["message"] == f"get project failed for key {MASK}"
        assert line["exception_name"] == "ValueError"
        assert line["exception"].startswith("Traceback (most recent call last):")
        assert line["run_id"] == "run-1"
    else:
        assert " run_id=run-1: get project failed" in output


def test_lambda_level_wins_and_noisy_libraries_stay_quiet(
    root_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")  # what Lambda's ApplicationLogLevel sets
    stream = io.StringIO()
    configure_logging("ango-batch-handler", "json", "DEBUG", stream)
    log.info("dropped")
    log.warning("kept")
    logging.getLogger("urllib3.connectionpool").warning("kept too")
    logging.getLogger("urllib3.connectionpool").info("GET /asset?X-Amz-Signature=...")
    assert [line["message"] for line in json_lines(stream)] == ["kept", "kept too"]
    assert len(logging.getLogger().handlers) == 1
