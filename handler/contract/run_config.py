"""The plugin's Config JSON: what a user may set per run, with limits, and its documented default.

Unknown keys are refused (a typo such as "job_szie" must not be silently ignored). The "model"
section is validated by the model's own config schema (`ModelSpec[Any].config`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from handler.contract.model import ModelSpec

MAX_CONFIG_JSON_BYTES = 16 * 1024
MAX_CONFIG_DEPTH = 8
_MAX_KEY_IN_MESSAGE = 60  # an unknown key is named in the message, but not echoed at any length


class ConfigError(ValueError):
    """The Config JSON is not valid; the message is meant for the user."""


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    # strict: `true` or "50" is a mistake to point out, not a number to guess at.
    # 128: a multiple of the usual batch sizes (8, 16, 32), so no job ends in a short, wasted model
    # call, and one import call per job: with a tasks-listing page per 100 assets, a run makes
    # about 0.018 Hub calls per asset, which lets one key's 100 requests a minute carry about
    # 5,500 assets a minute.
    job_size: int = Field(128, ge=1, le=500, strict=True, description="assets per queued job")
    batch_size: int = Field(8, ge=1, le=256, strict=True, description="images per model call")
    import_batch_size: int = Field(
        128, ge=1, le=500, strict=True, description="pre-label items per import call"
    )
    # What to do with assets that carry pre-labels already (Hub's isPreLabeled): a second click of
    # Run must not stack a second set of boxes on the first unless the user asks for it.
    existing: Literal["skip", "add"] = Field(
        "skip", description="assets already pre-labeled: skip them, or add more labels"
    )
    model: dict[str, Any] = Field(default_factory=dict, description="the model's own settings")
    # Model output policy. A prediction without a score passes any threshold: a model that does
    # not score cannot be filtered by score, and dropping all of its output would be a surprise.
    min_score: float = Field(0.0, ge=0, le=1, strict=True, description="drop predictions scored below")
    class_min_score: dict[str, Annotated[float, Field(ge=0, le=1, strict=True)]] = Field(
        default_factory=dict, description="per model class, in place of min_score"
    )
    max_objects: int | None = Field(None, ge=1, le=10_000, strict=True, description="objects per asset")
    # How far (in pixels) a mask's outline may stray from the mask when it is simplified to polygon
    # points: 0 keeps every step of the pixel edge, 1 (the default) drops points on straight runs.
    polygon_tolerance: float = Field(
        1.0, ge=0, le=50, allow_inf_nan=False, description="mask outlines: how far simplified, in pixels"
    )
    # Videos: the model sees every Nth frame (frame 0, N, 2N, ...); its objects are imported on those
    # frames, one objectId per object tracked across them.
    frame_stride: int = Field(
        10, ge=1, le=10_000, strict=True, description="videos: run the model on every Nth frame"
    )
    # Or a rate: this many frames a second, whatever the video's own rate (its stride is then the
    # video's frame rate over this, rounded, at least 1). Set, it wins over frame_stride.
    frames_per_second: float | None = Field(
        None,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="videos: frames a second, in place of frame_stride",
    )
    # PDFs: each page is rendered at this resolution for the model (72 is the page's size in points).
    # Small print needs more for an OCR model; the pixels cost memory and model time.
    pdf_dpi: int = Field(
        144, ge=36, le=600, strict=True, description="PDFs: render pages at this many dots per inch"
    )
    # A trial: only the first N assets of the selection that are ready to label.
    sample: int | None = Field(None, ge=1, le=1_000_000, strict=True, description="trial on N assets")
    # A control click: "cancel" this project's running runs, or "retry_failed" its last finished run.
    action: Literal["run", "cancel", "retry_failed"] = Field("run", description="what a click does")

    def min_score_of(self, model_class: str) -> float:
        return self.class_min_score.get(model_class, self.min_score)

    def passes_min_score(self, model_class: str, score: float | None) -> bool:
        """A prediction without a score passes any threshold: a model that does not score cannot be
        filtered by score, and dropping all of its output would be a surprise."""
        return score is None or score >= self.min_score_of(model_class)


def default_config_json(spec: ModelSpec[Any]) -> str:
    """The Default Config JSON to paste into Ango Hub's plugin form."""
    config = RunConfig(model=dict(spec.default_config)).model_dump()
    return json.dumps(config, indent=2)


def parse_config_json(text: str | None, spec: ModelSpec[Any]) -> tuple[RunConfig, BaseModel]:
    """Parse the run's configJSON string; return the run config and the model's validated config."""
    raw = _load_json_object(text)
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"Config JSON is invalid: {_summarise(exc)}") from None
    try:
        model_config = spec.config.model_validate(config.model)
    except ValidationError as exc:
        raise ConfigError(f"Config JSON is invalid: {_summarise(exc, prefix='model.')}") from None
    return config, model_config


def _load_json_object(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        size = len(text.encode())
    except UnicodeEncodeError:  # a lone surrogate: no JSON parser downstream would take it either
        raise ConfigError("Config JSON is not valid UTF-8 text") from None
    if size > MAX_CONFIG_JSON_BYTES:
        raise ConfigError(f"Config JSON is larger than {MAX_CONFIG_JSON_BYTES} bytes")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"Config JSON is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise ConfigError("Config JSON must be a JSON object")
    if _deeper_than(value, MAX_CONFIG_DEPTH):
        raise ConfigError(f"Config JSON is nested deeper than {MAX_CONFIG_DEPTH} levels")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative, not recursive: json.loads accepts nesting deep enough to exhaust Python's stack
    # in a recursive walk, which would surface as RecursionError instead of a ConfigError.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth == limit:  # a container inside `limit` others: level limit + 1
                return True
            pending.extend((child, depth + 1) for child in item)
    return False


def _summarise(exc: ValidationError, prefix: str = "") -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = prefix + ".".join(_shorten(str(p)) for p in error["loc"]) or "(top level)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _shorten(key: str) -> str:
    return key if len(key) <= _MAX_KEY_IN_MESSAGE else key[: _MAX_KEY_IN_MESSAGE - 1] + "…"
