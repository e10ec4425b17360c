"""The loop every queue consumer of the listener runs: receive, handle, delete what was handled.

Long polls are kept short (5 s) so that a stopping listener can wait for them. Messages a poll
returns after the stop are handed back at once (visibility 0), not left hidden for the queue's
visibility timeout, where the next listener would find them only a minute later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)
SQS_BATCH = 10
POLL_SECONDS = 5
Handler = Callable[[str], bool]  # message body -> True when it may be deleted


def keep_polling(stop: threading.Event, sqs: Any, url: str, handle: Handler, what: str) -> None:
    while not stop.is_set():
        try:
            poll_once(sqs, url, handle, stop)
        except Exception:
            logger.exception("%s: poll failed; retrying", what)
            stop.wait(2)


def poll_once(sqs: Any, url: str, handle: Handler, stop: threading.Event) -> int:
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=POLL_SECONDS)
    messages = response.get("Messages", [])
    if stop.is_set():
        _release(sqs, url, [m["ReceiptHandle"] for m in messages])
        return 0
    done = [m["ReceiptHandle"] for m in messages if handle(m["Body"])]
    _delete(sqs, url, done)
    return len(messages)


def _delete(sqs: Any, url: str, receipts: Sequence[str]) -> None:
    for entries in _entries(receipts):
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def _release(sqs: Any, url: str, receipts: Sequence[str]) -> None:
    for entries in _entries(receipts):
        entries = [{**entry, "VisibilityTimeout": 0} for entry in entries]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _entries(receipts: Sequence[str]) -> list[list[dict[str, Any]]]:
    chunks = [receipts[start : start + SQS_BATCH] for start in range(0, len(receipts), SQS_BATCH)]
    return [[{"Id": str(i), "ReceiptHandle": receipt} for i, receipt in enumerate(chunk)] for chunk in chunks]
