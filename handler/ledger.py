"""The run ledger: durable per-run and per-job records in S3, encrypted with the project's KMS key.

Layout, under `runs/<run_id>/`:
  run.json          the accepted run (mapping, config, the API key as KMS ciphertext)
  plan.json         how many assets and jobs the run has, written once enumeration is done
  jobs/<job>.json   one job's result; writing the same result twice changes nothing
  final.json        the final message, written once when the run is answered
Progress and the final summary can be recomputed from these at any time.
"""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from handler.job import AssetFailure, JobCounts
from handler.model import ShapeKind

PREFIX = "runs/"
_M = TypeVar("_M", bound=BaseModel)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClassTarget(_Record):
    """One mapped model class: where its predictions go in the user's ontology."""

    model_class: str
    schema_id: str
    tool: ShapeKind


class RunRecord(_Record):
    run_id: str
    session: str
    plugin_id: str
    project_id: str
    org_id: str
    run_by: str
    batches: tuple[str, ...]
    targets: tuple[ClassTarget, ...]
    config: dict[str, Any]  # the validated RunConfig, as JSON
    api_key_ciphertext: str  # base64 KMS ciphertext; the plaintext is never stored
    accepted_at: float


class RunPlan(_Record):
    total_assets: int = Field(ge=0)
    total_jobs: int = Field(ge=0)


class JobResult(_Record):
    job_id: str
    counts: JobCounts
    failures: tuple[AssetFailure, ...] = ()


class FinalRecord(_Record):
    message: str
    error: bool


class Ledger:
    def __init__(self, s3: Any, kms: Any, bucket: str, kms_key_id: str) -> None:
        self._s3, self._kms, self._bucket, self._key = s3, kms, bucket, kms_key_id

    # -- the API key ---------------------------------------------------------------------------

    def encrypt_api_key(self, run_id: str, api_key: str) -> str:
        response = self._kms.encrypt(
            KeyId=self._key, Plaintext=api_key.encode(), EncryptionContext={"run_id": run_id}
        )
        return base64.b64encode(response["CiphertextBlob"]).decode()

    def decrypt_api_key(self, run: RunRecord) -> str:
        # The encryption context binds the ciphertext to its run: a key copied into another run's
        # record does not decrypt.
        response = self._kms.decrypt(
            CiphertextBlob=base64.b64decode(run.api_key_ciphertext),
            EncryptionContext={"run_id": run.run_id},
        )
        return bytes(response["Plaintext"]).decode()

    # -- records -------------------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> bool:
        """Store a new run; False if a run with this id exists already (a repeated event)."""
        return self._put(f"{PREFIX}{run.run_id}/run.json", run, only_if_new=True)

    def load_run(self, run_id: str) -> RunRecord | None:
        return self._get(f"{PREFIX}{run_id}/run.json", RunRecord)

    def save_plan(self, run_id: str, plan: RunPlan) -> None:
        self._put(f"{PREFIX}{run_id}/plan.json", plan)

    def load_plan(self, run_id: str) -> RunPlan | None:
        return self._get(f"{PREFIX}{run_id}/plan.json", RunPlan)

    def save_job_result(self, run_id: str, result: JobResult) -> None:
        self._put(f"{PREFIX}{run_id}/jobs/{result.job_id}.json", result)

    def load_job_result(self, run_id: str, job_id: str) -> JobResult | None:
        return self._get(f"{PREFIX}{run_id}/jobs/{job_id}.json", JobResult)

    def list_job_results(self, run_id: str) -> list[JobResult]:
        paginator = self._s3.get_paginator("list_objects_v2")
        results = []
        for page in paginator.paginate(Bucket=self._bucket, Prefix=f"{PREFIX}{run_id}/jobs/"):
            for entry in page.get("Contents", []):
                result = self._get(entry["Key"], JobResult)
                if result is not None:
                    results.append(result)
        return results

    def finish_run(self, run_id: str, final: FinalRecord) -> bool:
        """Record the final message; False if the run was finished before (answer only once)."""
        return self._put(f"{PREFIX}{run_id}/final.json", final, only_if_new=True)

    def load_final(self, run_id: str) -> FinalRecord | None:
        return self._get(f"{PREFIX}{run_id}/final.json", FinalRecord)

    # -- S3 ------------------------------------------------------------------------------------

    def _put(self, key: str, record: BaseModel, only_if_new: bool = False) -> bool:
        extra = {"IfNoneMatch": "*"} if only_if_new else {}
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=record.model_dump_json().encode(),
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._key,
                **extra,
            )
        except ClientError as exc:
            if only_if_new and _error_code(exc) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise
        return True

    def _get(self, key: str, model: type[_M]) -> _M | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                return None
            raise
        return model.model_validate_json(response["Body"].read())


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
