"""The per-API-key sliding-window rate limiter (no server)."""

from __future__ import annotations

import pytest

from infra.emulator.rate_limit import RateLimiter, key_fingerprint

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def _limiter() -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(clock), clock


def test_over_the_limit_is_refused_and_refusals_count_toward_the_window() -> None:
    limiter, clock = _limiter()
    for _ in range(3):
        assert limiter.admit("k", 3, 10.0, enforce=True) is None
        clock.now += 1
    # 500 leaves at 510, but the refused request at 503 counts too: a slot frees when 501 leaves.
    assert limiter.admit("k", 3, 10.0, enforce=True) == pytest.approx(8.0)
    clock.now = 510.0  # retrying early is refused again, and pushes the free slot out
    assert limiter.admit("k", 3, 10.0, enforce=True) == pytest.approx(2.0)
    clock.now = 512.0  # as told: 502 is gone, leaving 503 and 510 in the window
    assert limiter.admit("k", 3, 10.0, enforce=True) is None
    assert limiter.snapshot() == {key_fingerprint("k"): {"requests": 6, "throttled": 2}}
    assert limiter.throttled_total() == 2


def test_the_window_slides_rather_than_resetting() -> None:
    limiter, clock = _limiter()
    assert limiter.admit("k", 2, 10.0, enforce=True) is None  # t=500
    clock.now = 509.0
    assert limiter.admit("k", 2, 10.0, enforce=True) is None
    clock.now = 510.5  # a fixed window starting at 500 would be full again; a sliding one is not
    assert limiter.admit("k", 2, 10.0, enforce=True) is None
    assert limiter.admit("k", 2, 10.0, enforce=True) is not None


def test_keys_are_counted_apart_and_off_means_counted_but_never_refused() -> None:
    limiter, _ = _limiter()
    assert all(limiter.admit("a", 1, 60.0, enforce=False) is None for _ in range(5))
    assert limiter.admit("a", 1, 60.0, enforce=True) is not None  # turned on: the recent traffic counts
    assert limiter.admit("b", 1, 60.0, enforce=True) is None
    assert limiter.admit(None, 1, 60.0, enforce=True) is None
    assert limiter.admit("", 1, 60.0, enforce=True) is not None  # no key and an empty key are one key
    assert limiter.snapshot() == {
        key_fingerprint("a"): {"requests": 6, "throttled": 1},
        key_fingerprint("b"): {"requests": 1, "throttled": 0},
        "<none>": {"requests": 2, "throttled": 1},
    }
    limiter.reset()
    assert limiter.snapshot() == {} and limiter.admit("a", 1, 60.0, enforce=True) is None


def test_fingerprints_do_not_show_the_key() -> None:
    key = "demo-api-key-0123456789abcdef"
    fingerprint = key_fingerprint(key)
    assert fingerprint.startswith("demo:") and len(fingerprint) == 17
    assert "api-key" not in fingerprint and fingerprint != key_fingerprint(key + "x")
