"""The ledger's storage: JSON records in one S3 bucket, encrypted with the stack's KMS key, with S3's
conditional writes (only if new; only over the version read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_CONDITION_FAILED = {"PreconditionFailed", "ConditionalRequestConflict"}
_MISSING = {"NoSuchKey", "404"}


class VersionConflict(Exception):
    """The object changed (or appeared) since it was read: the conditional write did not happen."""


class S3Store:
    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self._s3, self._bucket, self._key = s3, bucket, kms_key_id

    def put(self, key: str, record: BaseModel, only_if_new: bool = False) -> bool:
        """Write `record`; with `only_if_new`, False (and nothing written) if the key exists."""
        try:
            self.put_bytes(key, record.model_dump_json().encode(), only_if_new=only_if_new)
        except VersionConflict:
            return False
        return True

    def put_bytes(
        self,
        key: str,
        body: bytes,
        only_if_new: bool = False,
        over_version: str | None = None,
        content_type: str = "application/json",
    ) -> str:
        """Write `body`, optionally only if new or only over `over_version`; the new version."""
        conditions = {"IfNoneMatch": "*"} if only_if_new else {}
        if over_version:
            conditions = {"IfMatch": over_version}
        try:
            response = self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._key,
                **conditions,
            )
        except ClientError as exc:
            if conditions and _error_code(exc) in _CONDITION_FAILED:
                raise VersionConflict(key) from None
            raise
        return str(response["ETag"])

    def get(self, key: str, model: type[M]) -> M | None:
        found = self.get_bytes(key)
        return None if found is None else model.model_validate_json(found[0])

    def get_bytes(self, key: str) -> tuple[bytes, str] | None:
        """The object's body and version, or None if there is none."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return None
            raise
        return response["Body"].read(), str(response["ETag"])

    def keys(self, prefix: str) -> Iterator[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield str(entry["Key"])

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
