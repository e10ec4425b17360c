"""Liveness, sessions, knobs and fault draws (no server)."""

from __future__ import annotations

import hmac
import time

import pytest

from infra.emulator.faults import FaultInjector
from infra.emulator.knobs import Knobs
from infra.emulator.liveness import PluginRegistry
from infra.emulator.model import Plugin
from infra.emulator.sessions import REDACTED, SessionBook

pytestmark = pytest.mark.unit

GOOD = {"id": "p", "secret": "s"}


def _registry(timeout: float = 60.0) -> PluginRegistry:
    registry = PluginRegistry(timeout_s=lambda: timeout)
    registry.add(Plugin("p", "s"))
    for sid in ("one", "two"):
        registry.connect(sid)
    return registry


def test_heartbeats_bind_newest_sid_and_bad_ones_unbind() -> None:
    registry = _registry()
    assert registry.heartbeat("one", GOOD) and registry.heartbeat("two", GOOD)
    assert registry.status("p")["sid"] == "two"
    assert not registry.heartbeat("two", {"id": "p", "secret": "wrong"})
    assert registry.status("p")["sid"] == "one"
    assert not registry.heartbeat("one", {"id": "ghost", "secret": "s"})
    assert not registry.heartbeat("one", "not a dict")
    status = registry.status("p")
    assert (status["live"], status["heartbeatCount"], status["rejectedHeartbeats"]) == (False, 2, 1)


def test_liveness_expires_and_dies_with_the_socket() -> None:
    registry = _registry(timeout=0.05)
    registry.heartbeat("one", GOOD)
    assert registry.status("p")["live"]
    time.sleep(0.06)
    assert not registry.status("p")["live"]
    registry = _registry()
    registry.heartbeat("one", GOOD)
    registry.disconnect("one")
    assert not registry.heartbeat("one", GOOD)  # a late beat from a closed socket binds nothing
    assert not registry.status("p")["live"]


def test_sessions_redact_keep_every_response_and_time_out() -> None:
    book = SessionBook(timeout_s=lambda: 0.05)
    book.start("s1", "p", {"apiKey": "secret-key", "session": "s1"}, "sid")
    book.add_response({"response": "ok", "session": "s1"}, "socket")
    book.add_response({"error": True, "session": "s1"}, "socket")
    book.add_log({"session": "zzz", "msg": "?"}, "socket")
    described = book.describe("s1")
    assert described is not None
    assert described["payload"]["apiKey"] == REDACTED and len(described["responses"]) == 2
    assert described["status"] == "completed" and book.orphans[0]["event"] == "log"
    book.start("s2", "p", {}, "sid")
    time.sleep(0.06)
    assert book.describe("s2")["status"] == "timed_out"  # type: ignore[index]


def test_knobs_update_is_all_or_nothing() -> None:
    knobs = Knobs()
    knobs.update({"latency_ms": "5", "import_mode": "replace"})
    assert (knobs.latency_ms, knobs.import_mode) == (5.0, "replace")
    for bad in ({"latency_ms": 1, "import_mode": "x"}, {"max_import_items": 1.5}, {"unknown": 1}):
        with pytest.raises(ValueError):
            knobs.update(bad)
    assert (knobs.latency_ms, knobs.import_mode) == (5.0, "replace")


def test_fault_draws_follow_the_seed() -> None:
    knobs = Knobs(rest_5xx_rate=0.25, rest_429_rate=0.25, fault_seed=3)
    first = [FaultInjector(knobs).draw("rest") for _ in range(1)]
    injector = FaultInjector(knobs)
    draws = [injector.draw("rest") for _ in range(40)]
    again = FaultInjector(knobs)
    assert draws == [again.draw("rest") for _ in range(40)]
    assert first[0] == draws[0]
    assert {f.status for f in draws if f} >= {429} and any(f is None for f in draws)
    assert all(injector.draw("files") is None for _ in range(10))


def test_heartbeat_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # liveness looks it up on the module at call time
    registry = _registry()
    assert registry.heartbeat("one", GOOD) and not registry.heartbeat("one", {"id": "p", "secret": "x"})
    assert compared == [(b"s", b"s"), (b"x", b"s")]
