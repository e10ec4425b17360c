"""SQS, in one place: sending jobs and status events (batched), and receiving, deleting, releasing
and extending received messages, for the worker, the listener's pollers and the redrive."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from handler.contract.chunks import chunked
from handler.contract.messages import dump_message

logger = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 20  # how long a container worker holds a job between renewals (x2)
SQS_BATCH = 10  # the most one SQS batch call (send, delete, visibility) or receive takes


class QueueSendError(Exception):
    """SQS refused some messages of a batch even after botocore's own retries."""


class MessageQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs, self.url = sqs, url

    def send(self, message: BaseModel, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self.url, MessageBody=dump_message(message), DelaySeconds=delay_seconds
        )

    def send_many(self, messages: Iterable[BaseModel]) -> int:
        return sum(self._send_batch(batch) for batch in chunked(messages, SQS_BATCH))

    def send_raw(self, bodies: Sequence[str]) -> None:
        """Send message bodies as they are (a redrive moves jobs without re-encoding them)."""
        for chunk in chunked(bodies, SQS_BATCH):
            self._send_entries([{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)])

    def _send_batch(self, batch: Sequence[BaseModel]) -> int:
        self._send_entries([{"Id": str(i), "MessageBody": dump_message(m)} for i, m in enumerate(batch)])
        return len(batch)

    def _send_entries(self, entries: list[dict[str, str]]) -> None:
        response = self._sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            retry = [entries[int(f["Id"])] for f in failed if not f.get("SenderFault")]
            if len(retry) < len(failed):
                raise QueueSendError(f"SQS refused {len(failed)} messages: {failed[0].get('Message')}")
            again = self._sqs.send_message_batch(QueueUrl=self.url, Entries=retry)
            if again.get("Failed"):
                raise QueueSendError(f"SQS failed {len(again['Failed'])} messages twice")


def delete_messages(sqs: Any, url: str, receipts: Sequence[str]) -> list[dict[str, Any]]:
    """Delete received messages, ten to a call; returns the entries SQS could not delete."""
    failed: list[dict[str, Any]] = []
    for entries in _receipt_entries(receipts):
        failed += sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
    return failed


def receive(sqs: Any, url: str, count: int, wait: int, visibility: int | None = None) -> list[dict[str, Any]]:
    """Up to `count` messages, waiting at most `wait` s for the first; `visibility` holds them for
    that long instead of the queue's own timeout."""
    request: dict[str, Any] = {
        "QueueUrl": url,
        "MaxNumberOfMessages": min(count, SQS_BATCH),
        "WaitTimeSeconds": wait,
        "AttributeNames": ["ApproximateReceiveCount"],
    }
    if visibility is not None:
        request["VisibilityTimeout"] = visibility
    return list(sqs.receive_message(**request).get("Messages", []))


def release_messages(sqs: Any, url: str, receipts: Sequence[str]) -> None:
    """Make received messages visible again at once (visibility 0), ten to a call."""
    set_visibility(sqs, url, receipts, 0)


def set_visibility(sqs: Any, url: str, receipts: Sequence[str], seconds: int) -> None:
    """Hide received messages for `seconds` from now (extend a lease; 0 releases), ten to a call.
    A message gone meanwhile (deleted, its receipt stale) is not an error: nothing to hide."""
    for entries in _receipt_entries(receipts):
        entries = [{**entry, "VisibilityTimeout": seconds} for entry in entries]
        failed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        for failure in failed:
            logger.warning("could not change a message's visibility: %s", failure.get("Code"))


def _receipt_entries(receipts: Sequence[str]) -> list[list[dict[str, Any]]]:
    return [
        [{"Id": str(i), "ReceiptHandle": receipt} for i, receipt in enumerate(chunk)]
        for chunk in chunked(receipts, SQS_BATCH)
    ]
