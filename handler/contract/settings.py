"""One settings object, built in each entry point from the environment and passed down.

Tests build it directly instead of patching the environment. AWS endpoints and credentials are
not here: boto3 reads the standard AWS_* variables (AWS_ENDPOINT_URL included) by itself.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs ("127.0.0.0/8, ::1"); a bare address is a one-address network."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # Ango Hub: one origin for the plugin socket and the REST API.
    ango_host: str = Field("https://imeritapi.ango.ai", validation_alias="ANGO_HOST")
    ango_plugin_id: str = Field("", validation_alias="ANGO_PLUGIN_ID")
    ango_plugin_secret: SecretStr = Field(SecretStr(""), validation_alias="ANGO_PLUGIN_SECRET")
    ango_timeout_seconds: float = Field(30.0, gt=0, validation_alias="ANGO_TIMEOUT_SECONDS")
    # Hub's documented budget per API key (standard plan): the processes share it (below), else
    # each paces its calls to it; all slow down further on 429s (handler/contract/hub_pacing.py).
    # Raise it for a bigger plan.
    ango_requests_per_minute: float = Field(
        100.0, gt=0, le=100_000, validation_alias="ANGO_REQUESTS_PER_MINUTE"
    )
    # One Hub budget per API key that every handler process draws from, kept in the ledger's
    # bucket (handler/contract/hub_budget.py). Off: each process paces itself to the whole budget,
    # as it also does while the bucket cannot be reached.
    shared_hub_budget: bool = Field(True, validation_alias="ANGO_BATCH_SHARED_HUB_BUDGET")
    # How long one Hub call waits out 429s before its job goes back to the queue for later.
    ango_throttle_patience_seconds: float = Field(
        300.0, ge=0, le=3600, validation_alias="ANGO_THROTTLE_PATIENCE_SECONDS"
    )
    # A plan job lists for at most this long, then hands the rest of the listing to a fresh message
    # (Lambda's 15-minute limit; a huge project at 100 requests a minute lists for longer).
    plan_slice_seconds: float = Field(240.0, gt=0, le=3600, validation_alias="ANGO_BATCH_PLAN_SLICE_SECONDS")
    # Fair turns between runs: a run has at most this many jobs queued and not finished; its plan
    # job lists on as they finish. A run clicked later then waits behind at most this many of an
    # earlier run's jobs, not all of them. Best near the jobs the fleet runs at once (fewer leaves
    # workers idle on a lone run; more makes a later run wait longer). 0: no limit.
    jobs_ahead_per_run: int = Field(16, ge=0, validation_alias="ANGO_BATCH_JOBS_AHEAD_PER_RUN")
    # How soon a plan job waiting for room looks again (SQS delivers it again after this delay).
    plan_wait_seconds: int = Field(1, ge=0, le=900, validation_alias="ANGO_BATCH_PLAN_WAIT_SECONDS")

    model_name: str = Field("haar", validation_alias="ANGO_BATCH_MODEL")

    # Where the work and the ledger live; the CLI fills these from the stack's outputs when unset.
    job_queue_url: str = Field("", validation_alias="ANGO_BATCH_JOB_QUEUE_URL")
    status_queue_url: str = Field("", validation_alias="ANGO_BATCH_STATUS_QUEUE_URL")
    # The job queue's dead-letter queue: the listener drains it into the ledger; `redrive` empties it.
    job_dlq_url: str = Field("", validation_alias="ANGO_BATCH_JOB_DLQ_URL")
    ledger_bucket: str = Field("", validation_alias="ANGO_BATCH_LEDGER_BUCKET")
    kms_key_id: str = Field("", validation_alias="ANGO_BATCH_KMS_KEY_ID")

    # Handler tuning.
    download_concurrency: int = Field(8, ge=1, le=64, validation_alias="ANGO_BATCH_DOWNLOAD_CONCURRENCY")
    max_asset_bytes: int = Field(50 * 1024 * 1024, ge=1, validation_alias="ANGO_BATCH_MAX_ASSET_BYTES")
    # The onnx and endpoint models' files (handler/runtimes/): their runtimes read these themselves,
    # when created; named here so that a deploy's environment holds only settings this names.
    onnx_spec: str = Field("", validation_alias="ANGO_BATCH_ONNX_SPEC")
    onnx_model: str = Field("", validation_alias="ANGO_BATCH_ONNX_MODEL")
    endpoint_spec: str = Field("", validation_alias="ANGO_BATCH_ENDPOINT_SPEC")
    endpoint_secret: str = Field("", validation_alias="ANGO_BATCH_ENDPOINT_SECRET")
    # A video is written to a temporary file as it downloads (Lambda: /tmp, its ephemeral storage),
    # never held in memory: this caps that file.
    max_video_bytes: int = Field(2 * 1024**3, ge=1, validation_alias="ANGO_BATCH_MAX_VIDEO_BYTES")
    # A job reads at most this many frames of one video (10 minutes at 30 frames a second), then
    # saves how far it got and goes on in a new message: each message's work stays within a Lambda
    # function's timeout and a container worker's lease, and a crash repeats one part, not the video.
    video_frames_per_job: int = Field(18_000, ge=1, validation_alias="ANGO_BATCH_VIDEO_FRAMES_PER_JOB")
    # PDFs and DICOM files are written to a temporary file as videos are, under this cap (a
    # multi-frame DICOM can be large; its frames are decoded one at a time).
    max_document_bytes: int = Field(512 * 1024**2, ge=1, validation_alias="ANGO_BATCH_MAX_DOCUMENT_BYTES")
    # Decoded size is what costs memory (3 bytes a pixel), so it is capped before decoding.
    max_image_pixels: int = Field(50_000_000, ge=1, validation_alias="ANGO_BATCH_MAX_IMAGE_PIXELS")
    # Asset URLs come from users: downloads reach public addresses only, plus these networks
    # (comma-separated CIDRs; e.g. "127.0.0.0/8,::1" for a local emulator).
    allowed_asset_networks: str = Field("", validation_alias="ANGO_BATCH_ALLOWED_ASSET_NETWORKS")

    # Listener tuning.
    progress_interval_seconds: float = Field(
        10.0, ge=0, validation_alias="ANGO_BATCH_PROGRESS_INTERVAL_SECONDS"
    )

    @field_validator("ango_host")
    @classmethod
    def _host_is_an_origin(cls, value: str) -> str:
        # One origin serves both the plugin socket and the REST API; the API docs' server URL ends
        # in /v2, which is not a host: the client adds /v2/... itself, the socket /socket.io/.
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("ANGO_HOST must be an origin such as https://imeritapi.ango.ai")
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ValueError(
                f"ANGO_HOST must be an origin without a path: {parts.scheme}://{parts.netloc}, "
                f"not {parts.scheme}://{parts.netloc}{parts.path}"
            )
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("allowed_asset_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        parse_networks(value)  # a typo fails at start-up, not as refused downloads later
        return value

    def http_pool_size(self) -> int:
        """Connections kept per pool: every download thread of two concurrent jobs, at least 16."""
        return max(16, self.download_concurrency * 2)

    @classmethod
    def default(cls, name: str) -> Any:
        """A field's default, for code that takes the setting as an argument (one source of truth)."""
        return cls.model_fields[name].default

    def asset_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.allowed_asset_networks)

    def missing_aws_resources(self) -> list[str]:
        names = {
            "ANGO_BATCH_JOB_QUEUE_URL": self.job_queue_url,
            "ANGO_BATCH_STATUS_QUEUE_URL": self.status_queue_url,
            "ANGO_BATCH_LEDGER_BUCKET": self.ledger_bucket,
            "ANGO_BATCH_KMS_KEY_ID": self.kms_key_id,
        }
        return [name for name, value in names.items() if not value]
