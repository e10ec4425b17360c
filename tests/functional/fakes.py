"""In-memory stand-ins for what a run touches outside the process: SQS, S3 and KMS (the ledger),
Ango Hub's REST API and the asset storage. They keep the semantics the code relies on (visibility,
conditional writes, Hub's To-Do rule, append-only imports), not every detail of the real services.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
from botocore.exceptions import ClientError

from handler.assets import AssetError, decode_image, kept_or_decoded
from handler.contract.ango import PAGE_LIMIT, AssetPage, TaskPage, TaskState
from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef
from handler.contract.model import EncodedImage, Image
from handler.contract.retry import TransientError
from infra import demo_data


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


@dataclass
class _Message:
    body: str
    id: str
    visible_at: float = 0.0
    receipt: str = ""
    receives: int = 0


class FakeSqs:
    """Queues by URL: visibility timeouts, receive counts, batches of ten."""

    def __init__(self) -> None:
        self.queues: dict[str, list[_Message]] = {}
        self.sent: dict[str, list[str]] = {}  # every body ever sent, by queue
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def send_message(self, QueueUrl: str, MessageBody: str, DelaySeconds: int = 0) -> dict[str, Any]:
        with self._lock:
            message = _Message(MessageBody, str(next(self._ids)), time.monotonic() + DelaySeconds)
            self.queues.setdefault(QueueUrl, []).append(message)
            self.sent.setdefault(QueueUrl, []).append(MessageBody)
        return {"MessageId": message.id}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        for entry in Entries:
            self.send_message(QueueUrl, entry["MessageBody"])
        return {"Successful": Entries, "Failed": []}

    def receive_message(
        self, QueueUrl: str, MaxNumberOfMessages: int = 1, VisibilityTimeout: int = 30, **_: Any
    ) -> dict[str, Any]:
        now, taken = time.monotonic(), []
        with self._lock:
            for message in self.queues.get(QueueUrl, []):
                if message.visible_at <= now and len(taken) < MaxNumberOfMessages:
                    message.visible_at, message.receives = now + VisibilityTimeout, message.receives + 1
                    message.receipt = f"{message.id}/{message.receives}"
                    taken.append(message)
        if not taken:
            time.sleep(0.01)  # a long poll that found nothing, shortened
        return {"Messages": [{"MessageId": m.id, "ReceiptHandle": m.receipt, "Body": m.body} for m in taken]}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        receipts = {entry["ReceiptHandle"] for entry in Entries}
        with self._lock:
            self.queues[QueueUrl] = [m for m in self.queues.get(QueueUrl, []) if m.receipt not in receipts]
        return {"Successful": Entries, "Failed": []}

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            for entry in Entries:
                for message in self.queues.get(QueueUrl, []):
                    if message.receipt == entry["ReceiptHandle"]:
                        message.visible_at = time.monotonic() + entry["VisibilityTimeout"]
        return {"Successful": Entries, "Failed": []}

    def bodies(self, url: str) -> list[str]:
        return [m.body for m in self.queues.get(url, [])]


class FakeS3:
    """One bucket's objects with ETags, and S3's conditional writes (If-None-Match, If-Match)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put_object(
        self, Key: str, Body: bytes, IfNoneMatch: str | None = None, IfMatch: str | None = None, **_: Any
    ) -> dict[str, Any]:
        with self._lock:
            current = self.objects.get(Key)
            if (IfNoneMatch and current) or (IfMatch and (not current or current[1] != IfMatch)):
                raise _error("PreconditionFailed", "PutObject")
            etag = hashlib.md5(Body + Key.encode(), usedforsecurity=False).hexdigest()
            self.objects[Key] = (Body, f'"{etag}"')
        return {"ETag": f'"{etag}"'}

    def get_object(self, Key: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            if Key not in self.objects:
                raise _error("NoSuchKey", "GetObject")
            body, etag = self.objects[Key]
        return {"Body": io.BytesIO(body), "ETag": etag}

    def delete_object(self, Key: str, **_: Any) -> None:
        with self._lock:
            self.objects.pop(Key, None)

    def get_paginator(self, name: str) -> FakeS3:
        assert name == "list_objects_v2"
        return self

    def paginate(self, Prefix: str, **_: Any) -> Iterator[dict[str, Any]]:
        with self._lock:
            keys = sorted(key for key in self.objects if key.startswith(Prefix))
        yield {"Contents": [{"Key": key} for key in keys]}


class FakeKms:
    """Encryption bound to its context, as KMS's: a ciphertext decrypts only under the same one."""

    def encrypt(self, Plaintext: bytes, EncryptionContext: dict[str, str], **_: Any) -> dict[str, Any]:
        tag = repr(sorted(EncryptionContext.items())).encode()
        return {"CiphertextBlob": base64.b64encode(tag) + b"." + base64.b64encode(Plaintext[::-1])}

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        tag, sealed = CiphertextBlob.split(b".")
        if base64.b64decode(tag) != repr(sorted(EncryptionContext.items())).encode():
            raise _error("InvalidCiphertextException", "Decrypt")
        return {"Plaintext": base64.b64decode(sealed)[::-1]}


@dataclass
class HubAsset:
    asset_id: str
    external_id: str
    batches: tuple[str, ...] = ()
    status: str = "TODO"
    objects: list[str] = field(default_factory=list)  # objectIds, in the order imported
    suffix: str = ".png"
    pages: int = 0  # a multi-image asset's pages (listed in its `dataset`)

    @property
    def url(self) -> str:
        return self.page_urls[0] if self.pages else f"https://files.example/{self.asset_id}{self.suffix}"

    @property
    def page_urls(self) -> list[str]:
        return [f"https://files.example/{self.asset_id}-p{n}{self.suffix}" for n in range(self.pages)]

    def listed(self) -> dict[str, Any]:
        """The asset as the listings show it (a multi-image asset with its `dataset`)."""
        dataset = {"dataset": self.page_urls} if self.pages else {}
        return {"_id": self.asset_id, "externalId": self.external_id, "data": self.url, **dataset}


class FakeHub:
    """Ango Hub as an AngoClient sees it: listings, the To-Do rule, append-only imports."""

    def __init__(self, assets: list[HubAsset], project: dict[str, Any]) -> None:
        self.assets, self.project = assets, project
        self.users = {"key-1", "key-2"}  # API keys of users who may open the project
        self.imports = 0
        self.items: list[dict[str, Any]] = []  # every import item Hub took, in order
        self.fail_next_import_after_apply = False
        self._lock = threading.Lock()

    def get_project(self, project_id: str) -> dict[str, Any]:
        return self.project

    def as_outsider(self) -> Any:
        """What a key without access to the project gets: a 403 on everything."""
        hub = self

        class Outsider:
            def __getattr__(self, name: str) -> Any:
                def refuse(*args: Any, **kwargs: Any) -> Any:
                    raise AngoError(403, "Forbidden")

                return refuse if hasattr(hub, name) else getattr(hub, name)

        return Outsider()

    def asset_page(self, project_id: str, page: int, batch: str | None) -> AssetPage:
        # Newest first, as Hub lists (its `sort` defaults to `-createdAt`).
        chosen = [a for a in reversed(self.assets) if batch is None or batch in a.batches]
        shown = chosen[(page - 1) * PAGE_LIMIT : page * PAGE_LIMIT]
        listed = [{**a.listed(), "batches": list(a.batches)} for a in shown]
        return AssetPage(assets=listed, total=len(chosen))

    def task_page(self, project_id: str, page: int, batches: tuple[str, ...]) -> TaskPage:
        # Newest first; `batches` means "in any of them" (the tasks filter's `$in`).
        chosen = [a for a in reversed(self.assets) if not batches or set(batches) & set(a.batches)]
        shown = chosen[(page - 1) * PAGE_LIMIT : page * PAGE_LIMIT]
        tasks = [
            {
                "_id": f"task-{a.asset_id}",
                "asset": a.listed(),
                "status": a.status,
                "isPreLabeled": bool(a.objects),
            }
            for a in shown
        ]
        return TaskPage(tasks=tasks, total=len(chosen))

    def task_states(self, project_id: str, external_ids: list[str]) -> list[TaskState]:
        wanted = set(external_ids)
        return [
            TaskState(a.asset_id, a.external_id, a.status, bool(a.objects), a.batches)
            for a in self.assets
            if a.external_id in wanted
        ]

    def signed_url(self, project_id: str, url: str) -> str:
        return url + "?signature=1"

    def import_prelabels_once(self, project_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            self.imports += 1
            self.items += items
            for item in items:
                for asset in self.assets:
                    addressed = item.get("externalId") == asset.external_id or item.get("data") == asset.url
                    if addressed and asset.status == "TODO":
                        asset.objects += [o["objectId"] for o in item["objects"]]
            if self.fail_next_import_after_apply:
                self.fail_next_import_after_apply = False
                raise TransientError("POST /v2/import/labels: ConnectionError")  # applied, unanswered
        return {"status": "success"}

    def stored_object_ids(self, project_id: str, assets: list[AssetRef]) -> dict[str, set[str]]:
        wanted = {asset.asset_id for asset in assets}
        return {a.asset_id: set(a.objects) for a in self.assets if a.asset_id in wanted}


class FakeStorage:
    """The asset fetcher's storage side: every asset is a small grey PNG; decoding is the real one.
    URLs in `missing` answer 404, as a storage host that lost (or has not yet got) a file."""

    def __init__(self) -> None:
        self.png = demo_data.encode(np.full((48, 64, 3), 128, dtype=np.uint8), "PNG")
        self.downloads = 0
        self.missing: set[str] = set()
        self.files: dict[str, bytes] = {}  # URLs that hold something other than the grey PNG

    def download(self, url: str) -> bytes:
        self.downloads += 1
        if url in self.missing:
            raise AssetError("the asset's host answered 404 (files.example)")
        return self.files.get(url, self.png)

    def download_to(self, url: str, sink: BinaryIO, max_bytes: int) -> None:
        body = self.download(url)
        if len(body) > max_bytes:
            raise AssetError(f"asset is larger than {max_bytes} bytes")
        sink.write(body)

    def decode(self, data: bytes) -> Image:
        return decode_image(data)

    def keep_or_decode(self, data: bytes, formats: frozenset[str]) -> Image | EncodedImage:
        return kept_or_decoded(data, formats)
