"""The shared Hub budget: processes on one key take distinct, evenly spaced slots from one record
(an in-memory stand-in for the ledger's S3Store with its conditional writes; the real bucket on
LocalStack is tests/integration/test_hub_budget.py's); a lost race is read again; the key never
reaches the store; a store that fails leaves each process pacing itself, with one WARNING per
outage, until it is back."""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from handler.contract.hub_budget import OUTAGE_BACKOFF_SECONDS, SharedBudget, budget_key, shared_budget
from handler.contract.hub_pacing import HubPacer, PacerBook, key_digest
from handler.contract.s3_store import VersionConflict
from handler.contract.settings import Settings

pytestmark = pytest.mark.unit

HOST, API_KEY = "https://imeritapi.ango.ai", "secret-api-key-0123456789"
DIGEST = key_digest(HOST, API_KEY)
WARNING = "Hub budget store unreachable"


class FakeTime:
    """A wall clock that sleeping moves on."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Objects:
    """S3Store's get_bytes/put_bytes in memory, with its version checks; it counts requests and can
    fail like a bucket out of reach, or let another writer in between a read and a write."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.requests = 0
        self.failure: Exception | None = None
        self.interloper: bytes | None = None  # written by "another process" before the next write

    def get_bytes(self, key: str) -> tuple[bytes, str] | None:
        self._count()
        return self.bodies.get(key)

    def put_bytes(
        self, key: str, body: bytes, only_if_new: bool = False, over_version: str | None = None
    ) -> str:
        self._count()
        if self.interloper is not None:
            self._store(key, self.interloper)
            self.interloper = None
        current = self.bodies.get(key)
        if (only_if_new and current) or (over_version and (not current or current[1] != over_version)):
            raise VersionConflict(key)
        return self._store(key, body)

    def _store(self, key: str, body: bytes) -> str:
        version = f'"v{len(self.bodies.get(key, (b"", "v0"))[1]) + self.requests}"'
        self.bodies[key] = (body, version)
        return version

    def _count(self) -> None:
        if self.failure is not None:
            raise self.failure
        self.requests += 1


def _budget(objects: Objects, time: FakeTime, rate: float = 100) -> SharedBudget:
    return SharedBudget(lambda: objects, rate, clock=time.clock, sleep=time.sleep)  # type: ignore[arg-type,return-value]


def _next_free(objects: Objects) -> float:
    return float(json.loads(objects.bodies[budget_key(DIGEST)][0])["next_free"])


def _busiest_minute(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 60) for start in times)


def test_processes_on_one_key_take_distinct_evenly_spaced_slots() -> None:
    time, objects = FakeTime(), Objects()
    processes = [_budget(objects, time).for_digest(DIGEST) for _ in range(3)]  # one bucket, three doors
    start, times = time.now, []
    for call in range(150):
        processes[call % 3].acquire()
        times.append(time.now)
    assert times[0] == start  # an idle key's call leaves at once
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(60 / 95, abs=0.002)  # hub_pacing.steady_rate(100): 95 a minute
    assert max(gaps) == pytest.approx(60 / 95, abs=0.002)
    assert _busiest_minute(times) == 95  # within the budget of 100, together
    assert objects.requests == 2 * 150  # a read and a write a call


def test_a_race_lost_to_another_process_is_read_again_and_takes_the_next_slot() -> None:
    time, objects = FakeTime(), Objects()
    key = _budget(objects, time).for_digest(DIGEST)
    key.acquire()
    taken_by_other = _next_free(objects) + 60 / 95
    objects.interloper = json.dumps({"next_free": taken_by_other}).encode()  # it wrote in between
    before = time.now
    key.acquire()
    # This call's slot is the one after the other process's: theirs was never handed out twice.
    assert time.now == pytest.approx(taken_by_other, abs=0.03)  # (a few ms of jitter before reading again)
    assert _next_free(objects) == pytest.approx(taken_by_other + 60 / 95, abs=1e-6)
    assert time.now > before


def test_the_record_names_the_key_by_its_digest_only() -> None:
    objects = Objects()
    _budget(objects, FakeTime()).for_digest(DIGEST).acquire()
    ((name, (body, _)),) = objects.bodies.items()
    assert name == f"runs/_budget/{DIGEST}/slot" and len(DIGEST) == 64  # 4 parts: no run's record
    assert API_KEY not in name + body.decode() and API_KEY[:8] not in name + body.decode()
    assert set(json.loads(body)) == {"next_free"}
    assert key_digest(HOST, API_KEY) != key_digest("https://other.example", API_KEY)


def test_a_429_makes_every_process_on_the_key_wait() -> None:
    time, objects = FakeTime(), Objects()
    told = HubPacer(100, clock=time.clock, sleep=time.sleep, shared=_budget(objects, time).for_digest(DIGEST))
    other = _budget(objects, time).for_digest(DIGEST)
    told.acquire()
    assert told.throttled(retry_after=7.0) == 7.0
    assert other.acquire() == pytest.approx(7.0)  # another process waits out Hub's answer too
    told.throttled(retry_after=0.1)  # earlier than the next slot: it pulls nothing forward
    assert other.acquire() == pytest.approx(60 / 95, abs=0.002)


def test_an_unreachable_store_leaves_each_process_pacing_itself_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    objects = Objects()
    objects.failure = EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")
    budget = _budget(objects, FakeTime())
    pacers = []
    for shared in (None, budget.for_digest("a"), budget.for_digest("b")):  # each in a time of its own
        time = FakeTime()
        pacers.append(HubPacer(100, clock=time.clock, sleep=time.sleep, shared=shared))
    with caplog.at_level(logging.INFO, logger="handler.contract.hub_budget"):
        waits = [[pacer.acquire() for _ in range(20)] for pacer in pacers]
        pacers[1].throttled(retry_after=None)
    assert waits[0] == waits[1] == waits[2]  # exactly as without a store
    assert sum(waits[0]) > 0 and objects.bodies == {}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"{WARNING} (EndpointConnectionError): pacing this process on its own"
    ]
    assert API_KEY not in caplog.text and DIGEST not in caplog.text


def test_the_store_is_tried_again_after_the_back_off_and_taken_back(caplog: pytest.LogCaptureFixture) -> None:
    time, objects = FakeTime(), Objects()
    key = _budget(objects, time).for_digest(DIGEST)
    objects.failure = ConnectTimeoutError(endpoint_url="http://127.0.0.1:4566")
    with caplog.at_level(logging.INFO, logger="handler.contract.hub_budget"):
        assert key.acquire() is None
        time.now += OUTAGE_BACKOFF_SECONDS - 1
        assert key.acquire() is None and objects.requests == 0  # not tried before the back-off
        time.now += 1
        assert key.acquire() is None  # tried, still down: the same outage, no second warning
        time.now += OUTAGE_BACKOFF_SECONDS
        objects.failure = None
        assert key.acquire() == 0.0 and objects.requests == 2  # back on the shared budget
        objects.failure = ClientError({"Error": {"Code": "AccessDenied", "Message": "..."}}, "PutObject")
        assert key.acquire() is None  # a new outage: warned again
    levels = [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records]
    assert levels == [
        ("WARNING", f"{WARNING} (ConnectTimeoutError)"),
        ("INFO", "Hub budget store reachable again"),
        ("WARNING", f"{WARNING} (AccessDenied)"),
    ]


def test_a_slot_far_ahead_is_a_broken_clock_not_a_queue(caplog: pytest.LogCaptureFixture) -> None:
    objects, time, skewed = Objects(), FakeTime(), FakeTime()
    skewed.now += 3600  # a host an hour ahead takes an idle key's slot by its own clock
    _budget(objects, skewed).for_digest(DIGEST).acquire()
    key = _budget(objects, time).for_digest(DIGEST)
    with caplog.at_level(logging.WARNING, logger="handler.contract.hub_budget"):
        assert key.acquire() is None  # paced locally instead of sleeping an hour
    assert "the next slot is 3601 s ahead: a clock out of step?" in caplog.text


def test_the_budget_is_shared_where_there_is_a_ledger_unless_turned_off() -> None:
    ledger = {"ANGO_BATCH_LEDGER_BUCKET": "ledger", "ANGO_BATCH_KMS_KEY_ID": "key"}
    assert shared_budget(Settings()) is None  # no ledger (tests, the model alone)
    assert shared_budget(Settings(**ledger, ANGO_BATCH_SHARED_HUB_BUDGET=False)) is None
    budget = shared_budget(Settings(**ledger, ANGO_REQUESTS_PER_MINUTE=120))
    assert budget is not None and budget.interval == pytest.approx(60 / 115)  # less hub_pacing's margin
    objects, time = Objects(), FakeTime()
    book = PacerBook(100, shared=_budget(objects, time).for_digest)
    book.for_key(HOST, API_KEY).acquire()
    assert list(objects.bodies) == [budget_key(DIGEST)]


def test_an_unreadable_record_is_an_outage_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    objects, time = Objects(), FakeTime()
    objects.bodies[budget_key(DIGEST)] = (b"not json", '"v1"')
    with caplog.at_level(logging.WARNING, logger="handler.contract.hub_budget"):
        assert _budget(objects, time).for_digest(DIGEST).acquire() is None
    assert "an unreadable budget record" in caplog.text


def test_a_book_names_its_keys_by_digest_only() -> None:
    """The digest is all that names a key anywhere the budget goes (and in the pacers)."""
    book: Any = PacerBook(100)
    book.for_key(HOST, API_KEY)
    assert list(book._pacers) == [DIGEST]
