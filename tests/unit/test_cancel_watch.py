import pytest

from handler.cancel_watch import CancelWatch

pytestmark = pytest.mark.unit


class Ledger:
    def __init__(self) -> None:
        self.cancelled, self.reads = False, 0

    def is_cancelled(self, run_id: str) -> bool:
        self.reads += 1
        return self.cancelled


def test_the_ledger_is_read_at_most_once_per_ttl_and_never_again_once_cancelled() -> None:
    ledger, now = Ledger(), [0.0]
    watch = CancelWatch(ledger, "r1", ttl=2.0, clock=lambda: now[0])  # type: ignore[arg-type]
    assert [watch() for _ in range(50)] == [False] * 50 and ledger.reads == 1
    ledger.cancelled, now[0] = True, 1.9
    assert not watch() and ledger.reads == 1  # within the TTL: the cached answer
    now[0] = 2.0
    assert watch() and ledger.reads == 2
    now[0] = 100.0
    assert watch() and ledger.reads == 2  # cancelled stays cancelled
