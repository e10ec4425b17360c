"""The run ledger's records: what is stored under `runs/<run_id>/` (see handler/contract/ledger.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from handler.contract.messages import AssetFailure, AssetRef, JobCounts, JobFinished, RunPlanned
from handler.contract.run_config import RunConfig
from handler.outputs.shapes import ClassificationKind, ToolKind

MAX_FAILURES_IN_STATUS = 20
SCORE_BINS = 10  # score histogram: [0, 0.1), [0.1, 0.2), ... [0.9, 1.0]
MAX_SAMPLES_PER_JOB = 2  # labeled assets kept per job for the report


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClassTarget(_Record):
    """One mapped model class: where its predictions go in the user's ontology."""

    model_class: str
    schema_id: str
    # The Ango tool it fills (the model's shape is converted to it), or the classification its
    # answers fill.
    tool: ToolKind | ClassificationKind
    option: str | None = None  # a tag's answer: the option's text, as Hub's import names options
    # For a classification nested in a tool: that tool's schemaId (the answer goes inside its objects).
    parent: str | None = None

    @model_serializer(mode="wrap")
    def _without_unset_answer_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A tool's target is stored as before answers existed (no `option`, no `parent`), so that
        handlers still running the previous release read the runs a new listener accepts."""
        data: dict[str, Any] = handler(self)
        return {
            key: value for key, value in data.items() if value is not None or key not in ("option", "parent")
        }


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
    cancelled: bool = False

    def event(self, run_id: str) -> RunPlanned:
        return RunPlanned(run_id=run_id, **self.model_dump())

    @classmethod
    def of(cls, event: RunPlanned) -> RunPlan:
        return cls.model_validate(event.model_dump(exclude={"kind", "run_id"}))


class ListingPosition(_Record):
    """Where the walk over a listing stands (handler/planning/listing_walk.py)."""

    next_index: int = 0  # the place in the listing of the next asset not yet listed
    total: int | None = None  # the listing's total in the last answer (None: not read yet)
    growth: int = 0  # how much that total grew since the answer before


class PlanCursor(_Record):
    """Where listing stands: which listing (`source`: the tasks listing, or the assets listing
    for a Hub whose tasks lack their asset's data URL; None until the first page is read), the
    position in it (for the assets listing, in that of the selection's `selection`-th batch), what
    was queued so far, the last page's asset ids (an asset deleted meanwhile makes the listing show
    a listed one again, and a consensus project lists several tasks of one asset side by side), and
    assets listed but not yet filling a job."""

    source: Literal["tasks", "assets"] | None = None
    selection: int = 0
    position: ListingPosition = Field(default_factory=ListingPosition)
    next_job: int = 0
    listed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    failed: int = 0
    failures: tuple[AssetFailure, ...] = ()
    recent_ids: tuple[str, ...] = ()
    pending: tuple[AssetRef, ...] = ()
    ready: int = 0  # assets taken for jobs so far (a trial run stops at its `sample`)

    @model_validator(mode="before")
    @classmethod
    def _from_a_page_count(cls, data: Any) -> Any:
        """A cursor saved by a handler from before the walk counted pages (of 100): a plan job
        that a deploy catches mid-listing goes on from that page instead of failing."""
        if isinstance(data, dict) and "page" in data:
            data = dict(data)
            data["position"] = {"next_index": (int(data.pop("page")) - 1) * 100}
        if isinstance(data, dict) and "source" not in data and "position" in data:
            # Saved by a handler that planned from the assets listing only: go on in that one.
            data = {**data, "source": "assets"}
        return data


class SampleBox(_Record):
    model_class: str
    x: float
    y: float
    width: float
    height: float
    score: float | None = None


class SampleAsset(_Record):
    """A labeled asset kept for the report: its URL without the query (a signature lives there)."""

    asset_id: str
    external_id: str
    data_url: str
    boxes: tuple[SampleBox, ...] = ()


class JobFigures(_Record):
    """Where one job's time went and what its model found; every field defaults, so results
    written before these figures existed still parse."""

    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    seconds_download: float = 0.0  # waiting for downloads, as the model loop saw it
    seconds_model: float = 0.0
    seconds_import: float = 0.0
    classes: dict[str, int] = Field(default_factory=dict)  # imported objects per model class
    score_bins: tuple[int, ...] = (0,) * SCORE_BINS  # scores of kept predictions
    unscored: int = 0  # kept predictions without a score
    samples: tuple[SampleAsset, ...] = ()

    @property
    def queue_wait(self) -> float:
        if self.queued_at is None or self.started_at is None:
            return 0.0
        return max(0.0, self.started_at - self.queued_at)


class JobResult(_Record):
    job_id: str
    counts: JobCounts
    failures: tuple[AssetFailure, ...] = ()
    # Written by the dead-letter drain, not by a finished job: a redriven job runs again.
    dead_lettered: bool = False
    figures: JobFigures = JobFigures()
    # Assets that failed or were not processed (cancelled), as `retry` needs them to queue again.
    unfinished: tuple[AssetRef, ...] = ()

    def status_event(self, run_id: str) -> JobFinished:
        """The status event for this result: the ledger keeps every failure, the event a few."""
        failures = self.failures[:MAX_FAILURES_IN_STATUS]
        return JobFinished(
            run_id=run_id,
            job_id=self.job_id,
            counts=self.counts,
            failures=failures,
            started_at=self.figures.started_at,
            finished_at=self.figures.finished_at,
        )


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
    finished_at: float | None = None
    cancelled: bool = False
    retry_round: int = 0  # the last retry round whose outcome the message holds
    totals: JobCounts | None = None  # the run's counts when answered (for `ango-batch runs`)
    seconds_per_asset: float | None = None  # its pace on the wall clock, for later runs' estimates


class RetryRecord(_Record):
    """One `retry` round of a finished run: the jobs it queued, and the counts of the original
    results it stands in for (subtracted from the run's totals, so nothing is counted twice)."""

    round: int = Field(ge=1)
    jobs: tuple[str, ...]
    from_jobs: tuple[str, ...]  # the jobs whose failed and unprocessed assets it took over
    assets: int = Field(ge=0)
    replaces: JobCounts
    requested_at: float


class KeptPrediction(_Record):
    """A prediction behind an imported object, as a job's figures count it (class, score, extent)."""

    model_class: str
    score: float | None
    box: tuple[float, float, float, float]  # x0, y0, x1, y1


class VideoProgress(_Record):
    """How far a long video got in the jobs before this one: the next frame to read, the objects of
    the frames read (ready to import), the tracker's state (so an object keeps its id across the
    split) and the counts behind them. Written by a job that stops at its frame budget."""

    next_frame: int = Field(ge=1)
    objects: tuple[dict[str, Any], ...] = ()
    kept: tuple[KeptPrediction, ...] = ()
    counts: dict[str, int] = Field(default_factory=dict)
    tracker: dict[str, Any] = Field(default_factory=dict)  # IouTracker.state()


class JobPart(_Record):
    """What a job's earlier messages did, when it goes on in a new one (a long video's next part):
    their result so far, and the assets it counts, which the next message neither reads nor
    counts again (imported, empty, failed or skipped alike)."""

    result: JobResult
    counted: tuple[str, ...] = ()  # asset ids
    # How the assets still to do are read (asset id -> "video", "document", ...), found out from
    # their content where their URL did not say: the next message does not download them to tell.
    kinds: dict[str, Literal["video", "document", "medical", "dataset"]] = Field(default_factory=dict)
