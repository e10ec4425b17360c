"""Metrics: EMF lines on stdout with namespace AngoBatch and the single dimension Service, as the
template's dashboard and alarms expect; counts summed, durations kept per value."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from handler.contract import telemetry

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def fresh(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    telemetry.flush()  # whatever an earlier test left
    capsys.readouterr()
    yield
    telemetry.set_service("handler")


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_counts_are_summed_and_samples_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "something-else")  # must not add a dimension
    telemetry.set_service("listener")
    for status in (200, 429, 200, 429, 500):
        telemetry.hub_call(status)
    telemetry.count("RunsAccepted")
    telemetry.gauge("ListenerConnected", 1)
    telemetry.sample("JobDuration", 2.5)
    telemetry.sample("JobDuration", 1.5)
    telemetry.flush()

    (line,) = emf_lines(capsys)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "AngoBatch"
    assert directive["Dimensions"] == [["Service"]]
    assert line["Service"] == "listener" and "service" not in line
    units = {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}
    assert units == {
        "HubCalls": "Count",
        "HubThrottled": "Count",
        "RunsAccepted": "Count",
        "ListenerConnected": "Count",
        "JobDuration": "Seconds",
    }
    assert (line["HubCalls"], line["HubThrottled"], line["RunsAccepted"]) == ([5.0], [2.0], [1.0])
    assert (line["ListenerConnected"], line["JobDuration"]) == ([1.0], [2.5, 1.5])


def test_nothing_recorded_writes_nothing_and_a_flush_starts_afresh(
    capsys: pytest.CaptureFixture[str],
) -> None:
    telemetry.flush()
    assert emf_lines(capsys) == []
    telemetry.count("AssetsFailed", 3)
    telemetry.flush()
    telemetry.flush()
    assert [line["AssetsFailed"] for line in emf_lines(capsys)] == [[3.0]]


def test_many_samples_are_split_into_lines_emf_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(250):
        telemetry.sample("ModelSecondsPerImage", i / 1000)
    telemetry.count("HubCalls", 7)
    telemetry.flush()
    lines = emf_lines(capsys)
    assert [len(line["ModelSecondsPerImage"]) for line in lines] == [99, 99, 52]
    assert [line.get("HubCalls") for line in lines] == [[7.0], None, None]
    assert sum(sum(line["ModelSecondsPerImage"]) for line in lines) == pytest.approx(sum(range(250)) / 1000)


def test_timed_samples_only_blocks_that_end_well(capsys: pytest.CaptureFixture[str]) -> None:
    with telemetry.timed("ModelSecondsPerImage", per=4):
        pass
    with pytest.raises(RuntimeError), telemetry.timed("ModelSecondsPerImage", per=4):
        raise RuntimeError("the model failed: its time is no pace")
    telemetry.flush()
    (line,) = emf_lines(capsys)
    assert len(line["ModelSecondsPerImage"]) == 1 and 0 <= line["ModelSecondsPerImage"][0] < 0.1


def test_keep_flushing_samples_then_flushes_each_interval_and_once_more_at_stop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop, ticks = threading.Event(), []

    def sample_connection() -> None:
        ticks.append(1)
        telemetry.gauge("ListenerConnected", len(ticks) % 2)
        if len(ticks) == 3:
            telemetry.count("RunsAccepted")
            stop.set()  # the third flush still runs, then the last one, which finds nothing

    telemetry.keep_flushing(stop, sample_connection, interval=0.01)
    lines = emf_lines(capsys)
    assert [line.get("ListenerConnected") for line in lines] == [[1.0], [0.0], [1.0]]
    assert lines[-1]["RunsAccepted"] == [1.0]


def test_a_failed_write_loses_the_metrics_not_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    class Closed:
        def write(self, text: str) -> int:
            raise ValueError("I/O operation on closed file")

    telemetry.count("AssetsPrelabeled", 5)
    monkeypatch.setattr("sys.stdout", Closed())
    telemetry.flush()  # no exception
