"""The run ledger's records: what is stored under `runs/<run_id>/` (see handler/contract/ledger.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handler.contract.messages import AssetFailure, AssetRef, JobCounts, JobFinished, RunPlanned
from handler.contract.model import ShapeKind
from handler.contract.run_config import RunConfig

MAX_FAILURES_IN_STATUS = 20


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
    config: RunConfig  # validated once, when the run was accepted
    api_key_ciphertext: str  # base64 KMS ciphertext; the plaintext is never stored
    accepted_at: float


class RunPlan(_Record):
    total_assets: int = Field(ge=0)
    total_jobs: int = Field(ge=0)
    skipped: dict[str, int] = Field(default_factory=dict)
    failed: int = Field(0, ge=0)
    failures: tuple[AssetFailure, ...] = ()

    def event(self, run_id: str) -> RunPlanned:
        return RunPlanned(run_id=run_id, **self.model_dump())

    @classmethod
    def of(cls, event: RunPlanned) -> RunPlan:
        return cls.model_validate(event.model_dump(exclude={"kind", "run_id"}))


class PlanCursor(_Record):
    """Where listing stands: the next page of the selection's `selection`-th batch, what was queued
    so far, the last page's asset ids (offset paging over a project that gains assets meanwhile
    shows the boundary ones again), and assets listed but not yet filling a job."""

    selection: int = 0
    page: int = 1
    next_job: int = 0
    listed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    failed: int = 0
    failures: tuple[AssetFailure, ...] = ()
    recent_ids: tuple[str, ...] = ()
    pending: tuple[AssetRef, ...] = ()


class JobResult(_Record):
    job_id: str
    counts: JobCounts
    failures: tuple[AssetFailure, ...] = ()
    # Written by the dead-letter drain, not by a finished job: a redriven job runs again.
    dead_lettered: bool = False

    def status_event(self, run_id: str) -> JobFinished:
        """The status event for this result: the ledger keeps every failure, the event a few."""
        failures = self.failures[:MAX_FAILURES_IN_STATUS]
        return JobFinished(run_id=run_id, job_id=self.job_id, counts=self.counts, failures=failures)


class AssetImport(_Record):
    objects: int = Field(ge=0)
    done: bool


class ImportRecord(_Record):
    assets: dict[str, AssetImport] = Field(default_factory=dict)


class FinalRecord(_Record):
    message: str
    error: bool
    # Set once the response has left through the socket; until then a restarted listener sends it.
    responded: bool = False
