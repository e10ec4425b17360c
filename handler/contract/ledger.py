"""The run ledger: durable per-run and per-job records in S3, encrypted with the project's KMS key.

Layout, under `runs/<run_id>/`:
  run.json          the accepted run (mapping, config, the API key as KMS ciphertext)
  queued            written once the run's plan job is on the queue
  plan-cursor.json  how far planning got (a killed or time-sliced plan job resumes from it)
  plan.json         how many assets and jobs the run has, written once enumeration is done
  jobs/<job>.json   one job's result; writing the same result twice changes nothing
  imports/<job>.json which of the job's assets were imported (handler/import_journal.py)
  videos/<job>/<asset>.json how far a long video got, for the job's next message to go on from
  parts/<job>.json  what the job's earlier messages did, when it goes on in a new one
  dead/<job>.json   a job that ended in the dead-letter queue, kept for `ango-batch redrive`
  final.json        the final message, written once when the run is answered (a retry updates it)
  cancelled         written by `ango-batch cancel` or a cancel click: jobs stop at their next batch
  retries/<n>.json  one `ango-batch retry` round: its jobs, and the counts they stand in for
  report.html       the run's report (`ango-batch report`)
and `runs/_active/<project_id>/<run_id>`, present while a run on that project is not answered,
and `runs/_index/<10^13 - accepted epoch ms>/<run_id>`, one per run, so that listing the index
gives the runs newest first without reading every run. Both are 4 parts deep: never taken for a
run's own records by `open_runs` and `unanswered_runs`, which read 3-part keys.
Progress and the final summary can be recomputed from these at any time.
"""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from pydantic import BaseModel

from handler.contract.aws import AwsClients
from handler.contract.ledger_steering import PREFIX, SteeringRecords
from handler.contract.records import (
    FinalRecord,
    ImportRecord,
    JobPart,
    JobResult,
    PlanCursor,
    RunPlan,
    RunRecord,
    VideoProgress,
)
from handler.contract.s3_store import S3Store, VersionConflict
from handler.contract.settings import Settings

ACTIVE_PREFIX = f"{PREFIX}_active/"
R = TypeVar("R", bound=BaseModel)  # 4 parts deep: never taken for a run's own records


class ImportConflict(Exception):
    """Another attempt of the same job wrote the import journal first; retry the job later."""


class Ledger(SteeringRecords):
    def __init__(self, s3: Any, kms: Any, bucket: str, kms_key_id: str) -> None:
        self._store, self._kms, self._key = S3Store(s3, bucket, kms_key_id), kms, kms_key_id

    @classmethod
    def of(cls, settings: Settings, clients: AwsClients) -> Ledger:
        return cls(clients.s3, clients.kms, settings.ledger_bucket, settings.kms_key_id)

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
        return self._store.put(f"{PREFIX}{run.run_id}/run.json", run, only_if_new=True)

    def load_run(self, run_id: str) -> RunRecord | None:
        return self._store.get(f"{PREFIX}{run_id}/run.json", RunRecord)

    def save_plan_cursor(self, run_id: str, cursor: PlanCursor) -> None:
        self._store.put(f"{PREFIX}{run_id}/plan-cursor.json", cursor)

    def load_plan_cursor(self, run_id: str) -> PlanCursor | None:
        return self._store.get(f"{PREFIX}{run_id}/plan-cursor.json", PlanCursor)

    def save_plan(self, run_id: str, plan: RunPlan) -> None:
        self._store.put(f"{PREFIX}{run_id}/plan.json", plan)

    def load_plan(self, run_id: str) -> RunPlan | None:
        return self._store.get(f"{PREFIX}{run_id}/plan.json", RunPlan)

    def save_job_result(self, run_id: str, result: JobResult) -> None:
        self._store.put(f"{PREFIX}{run_id}/jobs/{result.job_id}.json", result)

    def load_job_result(self, run_id: str, job_id: str) -> JobResult | None:
        return self._store.get(f"{PREFIX}{run_id}/jobs/{job_id}.json", JobResult)

    def list_job_results(self, run_id: str) -> list[JobResult]:
        results = []
        for key in self._store.keys(f"{PREFIX}{run_id}/jobs/"):
            result = self._store.get(key, JobResult)
            if result is not None:
                results.append(result)
        return results

    def count_job_results(self, run_id: str) -> int:
        """How many of the run's jobs have a result: keys listed, none read."""
        return sum(1 for _ in self._store.keys(f"{PREFIX}{run_id}/jobs/"))

    def load_imports(self, run_id: str, job_id: str) -> tuple[ImportRecord, str | None]:
        """The job's import journal and its version (ETag); an empty one, version None, if new."""
        found = self._store.get_bytes(f"{PREFIX}{run_id}/imports/{job_id}.json")
        return (
            (ImportRecord(), None)
            if found is None
            else (ImportRecord.model_validate_json(found[0]), found[1])
        )

    def save_imports(self, run_id: str, job_id: str, record: ImportRecord, version: str | None) -> str:
        """Write the journal only over the version read (or only if new); returns the new version."""
        key, body = f"{PREFIX}{run_id}/imports/{job_id}.json", record.model_dump_json().encode()
        try:
            return self._store.put_bytes(key, body, only_if_new=version is None, over_version=version)
        except VersionConflict:
            raise ImportConflict(f"job {run_id}/{job_id}: import journal changed under us") from None

    def load_video_progress(
        self, run_id: str, job_id: str, asset_id: str
    ) -> tuple[VideoProgress | None, str | None]:
        """How far the job's video got in its earlier messages, and the record's version (ETag)."""
        return self._versioned(f"{PREFIX}{run_id}/videos/{job_id}/{asset_id}.json", VideoProgress)

    def save_video_progress(
        self, run_id: str, job_id: str, asset_id: str, progress: VideoProgress, version: str | None
    ) -> None:
        self._put_over(f"{PREFIX}{run_id}/videos/{job_id}/{asset_id}.json", progress, version)

    def load_job_part(self, run_id: str, job_id: str) -> tuple[JobPart | None, str | None]:
        """What the job's earlier messages did, and the record's version (ETag); None if nothing."""
        return self._versioned(f"{PREFIX}{run_id}/parts/{job_id}.json", JobPart)

    def save_job_part(self, run_id: str, job_id: str, part: JobPart, version: str | None) -> None:
        self._put_over(f"{PREFIX}{run_id}/parts/{job_id}.json", part, version)

    def _versioned(self, key: str, model: type[R]) -> tuple[R | None, str | None]:
        found = self._store.get_bytes(key)
        return (None, None) if found is None else (model.model_validate_json(found[0]), found[1])

    def _put_over(self, key: str, record: BaseModel, version: str | None) -> None:
        """Written only over the version read (or only if new): an attempt that raced another copy
        of the same job message loses (ImportConflict, the job is retried), and the winner's stands."""
        try:
            self._store.put_bytes(
                key, record.model_dump_json().encode(), only_if_new=version is None, over_version=version
            )
        except VersionConflict:
            raise ImportConflict(f"{key}: written by another attempt of its job") from None

    def park_dead_job(self, run_id: str, job_id: str, body: str) -> None:
        self._store.put_bytes(f"{PREFIX}{run_id}/dead/{job_id}.json", body.encode())

    def parked_dead_jobs(self, run_id: str | None = None) -> list[tuple[str, str]]:
        """(key, job body) of every parked dead job, of one run or of all runs."""
        prefix = f"{PREFIX}{run_id}/dead/" if run_id else PREFIX
        parked = []
        for key in self._store.keys(prefix):
            if "/dead/" in key:
                found = self._store.get_bytes(key)
                if found is not None:
                    parked.append((key, found[0].decode()))
        return parked

    def delete(self, key: str) -> None:
        self._store.delete(key)

    def mark_queued(self, run_id: str) -> None:
        self._store.put_bytes(f"{PREFIX}{run_id}/queued", b"")

    def open_runs(self) -> list[tuple[str, bool]]:
        """(run id, whether its plan job was sent) of every run that has no final message yet."""
        files: dict[str, set[str]] = {}
        for key in self._store.keys(PREFIX):
            parts = key.split("/")
            if len(parts) == 3:  # runs/<id>/<file>
                files.setdefault(parts[1], set()).add(parts[2])
        open_ = {run_id: names for run_id, names in files.items() if "final.json" not in names}
        return [(run_id, bool(names & {"queued", "plan.json"})) for run_id, names in open_.items()]

    def mark_active(self, project_id: str, run_id: str) -> None:
        self._store.put_bytes(f"{ACTIVE_PREFIX}{project_id}/{run_id}", b"")

    def clear_active(self, project_id: str, run_id: str) -> None:
        self.delete(f"{ACTIVE_PREFIX}{project_id}/{run_id}")

    def active_runs(self, project_id: str) -> list[str]:
        """Runs on this project accepted and not yet answered (as far as their markers say)."""
        return [key.rsplit("/", 1)[1] for key in self._store.keys(f"{ACTIVE_PREFIX}{project_id}/")]

    def finish_run(self, run_id: str, final: FinalRecord) -> bool:
        """Record the final message; False if the run was finished before (answer only once)."""
        return self._store.put(f"{PREFIX}{run_id}/final.json", final, only_if_new=True)

    def mark_responded(self, run_id: str, final: FinalRecord) -> None:
        self._store.put(f"{PREFIX}{run_id}/final.json", final.model_copy(update={"responded": True}))

    def load_final(self, run_id: str) -> FinalRecord | None:
        return self._store.get(f"{PREFIX}{run_id}/final.json", FinalRecord)

    def unanswered_runs(self) -> list[str]:
        """Runs whose final message is recorded but not marked sent (the listener died, or the
        socket dropped, in between). Reads every final.json: for start-up, not for a loop."""
        unanswered = []
        for key in self._store.keys(PREFIX):
            parts = key.split("/")
            if len(parts) == 3 and parts[2] == "final.json":
                final = self._store.get(key, FinalRecord)
                if final is not None and not final.responded:
                    unanswered.append(parts[1])
        return unanswered
