import pytest

from handler.contract.retry import RetryPolicy, TransientError, call_with_retries

pytestmark = pytest.mark.unit


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
