"""Sending to SQS: jobs to the job queue and status events to the status queue, batched."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from handler.contract.messages import dump_message

logger = logging.getLogger(__name__)
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
        batch: list[BaseModel] = []
        sent = 0
        for message in messages:
            batch.append(message)
            if len(batch) == SQS_BATCH:
                sent += self._send_batch(batch)
                batch = []
        if batch:
            sent += self._send_batch(batch)
        return sent

    def send_raw(self, bodies: Sequence[str]) -> None:
        """Send message bodies as they are (a redrive moves jobs without re-encoding them)."""
        for start in range(0, len(bodies), SQS_BATCH):
            chunk = bodies[start : start + SQS_BATCH]
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


def release_messages(sqs: Any, url: str, receipts: Sequence[str]) -> None:
    """Make received messages visible again at once (visibility 0), ten to a call."""
    for entries in _receipt_entries(receipts):
        entries = [{**entry, "VisibilityTimeout": 0} for entry in entries]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _receipt_entries(receipts: Sequence[str]) -> list[list[dict[str, Any]]]:
    chunks = [receipts[start : start + SQS_BATCH] for start in range(0, len(receipts), SQS_BATCH)]
    return [[{"Id": str(i), "ReceiptHandle": receipt} for i, receipt in enumerate(chunk)] for chunk in chunks]
