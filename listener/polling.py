"""The loop every queue consumer of the listener runs: receive, handle, delete what was handled.

Long polls are kept short (5 s) so that a stopping listener can wait for them. Messages a poll
returns after the stop are handed back at once (visibility 0), not left hidden for the queue's
visibility timeout, where the next listener would find them only a minute later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from handler.contract.queues import SQS_BATCH, delete_messages, receive, release_messages

logger = logging.getLogger(__name__)
POLL_SECONDS = 5
PAUSE_SECONDS = 0.5  # how often a paused poller asks again whether it is ready
Handler = Callable[[str], bool]  # message body -> True when it may be deleted
Ready = Callable[[], bool]


def keep_polling(
    stop: threading.Event,
    sqs: Any,
    url: str,
    handle: Handler,
    what: str,
    ready: Ready = lambda: True,
    idle: Callable[[], None] = lambda: None,
) -> None:
    """Poll until `stop`; before each poll `ready` is asked, and while it says no nothing is received
    (a received message counts toward its queue's dead-letter limit even if it cannot be handled).
    `idle` runs after each poll that found the queue empty."""
    while not stop.is_set():
        try:
            if not ready():
                stop.wait(PAUSE_SECONDS)
                continue
            if poll_once(sqs, url, handle, stop) == 0 and not stop.is_set():
                idle()
        except Exception:
            logger.exception("%s: poll failed; retrying", what)
            stop.wait(2)


def poll_once(sqs: Any, url: str, handle: Handler, stop: threading.Event) -> int:
    messages = receive(sqs, url, SQS_BATCH, POLL_SECONDS)
    if stop.is_set():
        release_messages(sqs, url, [m["ReceiptHandle"] for m in messages])
        return 0
    done = [m["ReceiptHandle"] for m in messages if handle(m["Body"])]
    delete_messages(sqs, url, done)
    return len(messages)
