"""Run-time settings of the emulator, settable from the CLI and from `POST /_emulator/config`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

IMPORT_MODES = ("append", "replace")
FAULT_GROUPS = ("rest", "files", "import")
TASK_ASSET_FORMS = ("object", "id")


@dataclass
class Knobs:
    """Every field is a knob; the CLI flag is the field name with dashes (`--latency-ms`)."""

    latency_ms: float = 0.0  # added to every /v2 call (rest and import groups)
    file_latency_ms: float = 0.0  # added to every asset download
    rest_5xx_rate: float = 0.0
    rest_429_rate: float = 0.0
    files_5xx_rate: float = 0.0
    files_429_rate: float = 0.0
    import_5xx_rate: float = 0.0
    import_429_rate: float = 0.0
    retry_after_s: int = 1  # the Retry-After header on injected 429s
    fault_seed: int = 0  # reseeds the fault RNG whenever it is set
    # An injected 5xx on an import comes after the import was handled (and applied if valid), like a
    # gateway that timed out while Hub did the work; a client that blindly retries duplicates labels.
    import_fault_after_apply: bool = True
    import_ack_delay_ms: float = 0.0  # after an import is applied, before its answer goes out
    import_mode: str = "append"
    max_import_items: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024
    heartbeat_timeout_s: float = 150.0
    session_timeout_s: float = 3600.0  # a run whose callback returns None never answers
    signed_url_ttl_s: float = 600.0  # lifetime of a `GET /v2/getSignedUrl` URL (Hub's is unknown)
    # Per-API-key sliding-window limit on every /v2 call; "Standard plan: 100 requests per minute" (DOC-API).
    rate_limit: bool = False
    rate_limit_requests: int = 100
    rate_limit_window_s: float = 60.0
    rate_limit_retry_after: bool = False  # whether a limiter 429 says Retry-After (Hub's: unknown)
    # Before answering each assets or tasks listing, this many new assets are uploaded to the project:
    # a team uploading while a run lists. Hub lists newest first, so every upload shifts the pages.
    uploads_per_listing: int = 0
    # A task's `asset`: "object" ({_id, externalId, data}, the docs' sample) or "id" (a bare id, a
    # plausible other form Hub is not documented to send).
    task_asset_form: str = "object"
    # Tasks per asset, listed side by side: a consensus project (its count is Hub's consensusCount).
    consensus_tasks: int = 1

    def update(self, changes: dict[str, Any]) -> None:
        """Apply `changes` all-or-nothing; raises ValueError naming the first bad knob."""
        trial = dataclasses.replace(self)
        for name, raw in changes.items():
            setattr(trial, name, _coerce(name, raw))
        trial.validate()
        for name in changes:
            setattr(self, name, getattr(trial, name))

    def validate(self) -> None:
        for group in FAULT_GROUPS:
            total = self.rate(group, "5xx") + self.rate(group, "429")
            if min(self.rate(group, "5xx"), self.rate(group, "429")) < 0 or total > 1:
                raise ValueError(f"{group} fault rates must be >= 0 and sum to <= 1")
        if self.import_mode not in IMPORT_MODES:
            raise ValueError(f"import_mode must be one of {IMPORT_MODES}")
        if self.max_import_items < 1 or self.max_body_bytes < 1 or self.retry_after_s < 0:
            raise ValueError("max_import_items and max_body_bytes must be >= 1, retry_after_s >= 0")
        if self.heartbeat_timeout_s <= 0 or self.session_timeout_s <= 0:
            raise ValueError("timeouts must be > 0")
        if min(self.latency_ms, self.file_latency_ms, self.import_ack_delay_ms) < 0:
            raise ValueError("latencies and delays must be >= 0")
        if self.uploads_per_listing < 0 or self.consensus_tasks < 1:
            raise ValueError("uploads_per_listing must be >= 0, consensus_tasks >= 1")
        if self.task_asset_form not in TASK_ASSET_FORMS:
            raise ValueError(f"task_asset_form must be one of {TASK_ASSET_FORMS}")
        if self.signed_url_ttl_s <= 0 or self.rate_limit_window_s <= 0 or self.rate_limit_requests < 1:
            raise ValueError("signed_url_ttl_s and rate_limit_window_s must be > 0, rate_limit_requests >= 1")

    def rate(self, group: str, kind: str) -> float:
        value: float = getattr(self, f"{group}_{kind}_rate")
        return value

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def knob_types() -> dict[str, type]:
    """Field name → Python type, for building CLI flags."""
    return {f.name: type(getattr(Knobs(), f.name)) for f in dataclasses.fields(Knobs)}


def _coerce(name: str, raw: Any) -> Any:
    types = knob_types()
    if name not in types:
        raise ValueError(f"unknown knob: {name}")
    wanted = types[name]
    # JSON true/false for bool knobs and only there: bool("false") is True, and True == 1.
    if (wanted is bool) != isinstance(raw, bool) or (wanted is str and not isinstance(raw, str)):
        raise ValueError(f"bad value for {name}: {raw!r}")
    try:
        value = wanted(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad value for {name}: {raw!r}") from exc
    if wanted is int and isinstance(raw, float) and raw != value:
        raise ValueError(f"{name} must be an integer")
    return value
