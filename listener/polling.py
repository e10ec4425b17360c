"""The one loop every queue consumer of the listener runs: poll, and on error log and go on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)
SQS_BATCH = 10


def keep_polling(stop: threading.Event, poll_once: Callable[[], int], what: str) -> None:
    while not stop.is_set():
        try:
            poll_once()
        except Exception:
            logger.exception("%s: poll failed; retrying", what)
            stop.wait(2)


def delete_messages(sqs: Any, queue_url: str, receipts: Sequence[str]) -> None:
    for start in range(0, len(receipts), SQS_BATCH):
        chunk = receipts[start : start + SQS_BATCH]
        entries = [{"Id": str(i), "ReceiptHandle": receipt} for i, receipt in enumerate(chunk)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
