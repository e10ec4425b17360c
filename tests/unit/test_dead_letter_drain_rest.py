"""The dead-letter drain rests after an empty poll (dead jobs are rare and minutes old when they
come), so an idle listener does not poll its dead-letter queue every few seconds; a stop ends the
rest at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from listener.dead_letter_drain import DeadLetterDrain

pytestmark = pytest.mark.unit


class EmptyQueue:
    def __init__(self) -> None:
        self.polls = 0

    def receive_message(self, **_: Any) -> dict[str, Any]:
        self.polls += 1
        return {"Messages": []}  # answers at once: the rest, not the long poll, sets the pace


def test_the_drain_rests_between_empty_polls_and_stops_at_once() -> None:
    sqs, stop = EmptyQueue(), threading.Event()
    unused: Any = None  # an empty queue records nothing: no ledger, no status queue
    drain = DeadLetterDrain(sqs, "http://dlq", ledger=unused, status=unused)
    thread = threading.Thread(target=drain.run, args=(stop,))
    thread.start()
    time.sleep(0.5)
    stopped_at = time.monotonic()
    stop.set()
    thread.join(5)

    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 1.0  # not the rest's 10 s
    assert sqs.polls == 1
