"""The message contract between the listener and the handlers.

The listener imports this module; the handler never imports the listener, so dependencies point
one way. Every message is small (well under SQS's 256 KiB and our own 64 KiB budget) and carries
no secret: the user's API key lives KMS-encrypted in the run ledger.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)

# Our own budget for one message body: far below SQS's limit so that a job never fails to send
# because an asset URL was long, and so that a handler's input stays cheap to parse.
MAX_MESSAGE_BYTES = 64 * 1024


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AssetRef(_Message):
    """One asset as enumerated from Ango Hub: enough to download it and to address its pre-labels."""

    asset_id: str
    external_id: str
    data_url: str
    # Hub applies an import addressed by externalId to every asset with that id. When the run's
    # selection holds the same externalId twice, the planner addresses those assets by URL instead.
    address_by_url: bool = False
    # A multi-image asset's page URLs, in order (its `dataset`); () for any other asset. Left out of
    # the message when empty, so that handlers of the previous release read the jobs of other assets.
    pages: tuple[str, ...] = ()

    @model_serializer(mode="wrap")
    def _without_empty_pages(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("pages"):
            data.pop("pages", None)
        return data


class PlanJob(_Message):
    """First job of a run: enumerate the selected assets and enqueue the work jobs."""

    kind: Literal["plan"] = "plan"
    run_id: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}/plan"


class InferJob(_Message):
    """Pull these assets, run the model on them and import their pre-labels."""

    kind: Literal["infer"] = "infer"
    run_id: str
    job_id: str
    assets: tuple[AssetRef, ...] = Field(min_length=1)
    queued_at: float | None = None  # epoch seconds when it was sent: its queue wait, for `status`

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}/{self.job_id}"

    @property
    def is_retry(self) -> bool:
        return is_retry_job(self.job_id)


def is_retry_job(job_id: str) -> bool:
    """Jobs of a run's plan are numbered (`000000`); those of `retry` are `r<round>-<n>`."""
    return job_id.startswith("r")


Job = Annotated[PlanJob | InferJob, Field(discriminator="kind")]
JOB_ADAPTER: TypeAdapter[PlanJob | InferJob] = TypeAdapter(Job)


def parse_job(body: str | bytes) -> PlanJob | InferJob:
    """Parse an SQS body into a job; raises pydantic.ValidationError at the door if malformed."""
    return JOB_ADAPTER.validate_json(body)


def dump_message(message: BaseModel) -> str:
    body = message.model_dump_json()
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {len(body)} bytes is over the {MAX_MESSAGE_BYTES}-byte budget")
    return body


# ---- status events: handler -> listener ---------------------------------------------------------


class AssetFailure(_Message):
    """Why one asset got no pre-labels. `reason` is short and sanitised: no exception text."""

    external_id: str
    reason: str = Field(max_length=200)


class RunPlanned(_Message):
    """Planning is over: every job is queued. Assets skipped or failed while planning (task not To
    Do, already pre-labeled, no data URL) are counted here, since no job carries them."""

    kind: Literal["planned"] = "planned"
    run_id: str
    total_assets: int = Field(ge=0)  # every selected asset, skipped and failed ones included
    total_jobs: int = Field(ge=0)
    skipped: dict[str, int] = Field(default_factory=dict)  # why (e.g. "status COMPLETED") -> count
    failed: int = Field(0, ge=0)
    failures: tuple[AssetFailure, ...] = ()  # the first few; `failed` counts them all
    cancelled: bool = False  # planning stopped early because the run was cancelled


class JobCounts(_Message):
    assets_labeled: int = 0  # assets that received at least one pre-label object
    assets_empty: int = 0  # assets the model found nothing on (mapped classes only)
    assets_failed: int = 0
    objects_created: int = 0
    predictions_dropped: int = 0  # predictions of classes the user did not map
    below_min_score: int = 0  # predictions dropped by the run's min_score
    over_max_objects: int = 0  # predictions dropped by the run's max_objects
    assets_cancelled: int = 0  # assets not processed because the run was cancelled
    objects_converted: int = 0  # objects whose shape was converted to their mapped tool's
    # Classification answers imported: the assets' own and those nested in objects (those imported
    # by an earlier, interrupted attempt of the job are not counted: its journal keeps objects only).
    answers_given: int = 0
    # Assets the model does not read, found out from their content once downloaded (their URL did
    # not say), by kind: "video" -> 2. Those the URL told are skipped while planning (RunPlanned).
    assets_skipped: dict[str, int] = Field(default_factory=dict)


class JobFinished(_Message):
    kind: Literal["job_finished"] = "job_finished"
    run_id: str
    job_id: str
    counts: JobCounts
    # At most a handful per job: the ledger holds the full list.
    failures: tuple[AssetFailure, ...] = ()
    # When the job ran (epoch seconds), for the run's pace: the next runs' estimates use it.
    started_at: float | None = None
    finished_at: float | None = None


class RunFailed(_Message):
    """The run cannot go on (e.g. Ango rejected the key while planning). `reason` is user-facing."""

    kind: Literal["run_failed"] = "run_failed"
    run_id: str
    reason: str = Field(max_length=500)


class RetryQueued(_Message):
    """`ango-batch retry` (or a retry_failed click) queued a run's failed assets again."""

    kind: Literal["retry_queued"] = "retry_queued"
    run_id: str
    round: int = Field(ge=1)
    assets: int = Field(ge=0)
    jobs: int = Field(ge=0)


AnyStatus = RunPlanned | JobFinished | RunFailed | RetryQueued
StatusEvent = Annotated[AnyStatus, Field(discriminator="kind")]
STATUS_ADAPTER: TypeAdapter[AnyStatus] = TypeAdapter(StatusEvent)


def parse_status(body: str | bytes) -> AnyStatus:
    return STATUS_ADAPTER.validate_json(body)
