"""Structured logs for every process: one handler on the root logger, JSON (Powertools' formatter)
or text, with the correlation ids of the run, job and asset being worked on, and secrets in flight
redacted (handler/redaction.py).

The ids live in a context variable, so concurrent jobs on different threads each log their own. A
thread does not inherit its creator's context: work a job hands to a pool goes through
`in_context`, which runs it in a copy of the submitting thread's context.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Literal, ParamSpec, Protocol, TypeVar

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from handler.contract import redaction


class _Asset(Protocol):
    @property
    def asset_id(self) -> str: ...


P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=_Asset)
IDS = ("run_id", "job_id", "asset_id")
# urllib3 logs request lines, query strings included (signed asset URLs carry credentials).
QUIET = ("botocore", "urllib3", "socketio", "engineio")
LogFormat = Literal["json", "text"]

_ids: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_ids", default=None)


@contextmanager
def log_context(
    run_id: str | None = None, job_id: str | None = None, asset_id: str | None = None
) -> Iterator[None]:
    """Put these ids on every line logged in the block (an id left None keeps its outer value)."""
    given = {"run_id": run_id, "job_id": job_id, "asset_id": asset_id}
    token = _ids.set({**current_ids(), **{key: value for key, value in given.items() if value}})
    try:
        yield
    finally:
        _ids.reset(token)


def current_ids() -> dict[str, str]:
    return dict(_ids.get() or {})


def in_context(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, to be run on another thread with the log context the caller has now."""
    context = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # A copy per call: one Context cannot be entered by two threads at once.
        return context.copy().run(fn, *args, **kwargs)

    return run


def asset_task(fn: Callable[[A], R]) -> Callable[[A], R]:
    """`fn(asset)`, to be run on a pool thread with the caller's log context and the asset's id."""

    def run(asset: A) -> R:
        with log_context(asset_id=asset.asset_id):
            return fn(asset)

    return in_context(run)


class ContextFilter(logging.Filter):
    """Adds the current ids to each record. Also keeps the exception's class name, which the JSON
    line shows, before RedactingFilter (installed after this one) drops `exc_info`."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_ids().items():
            setattr(record, key, value)
        if record.exc_info and record.exc_info[0] is not None:
            record.exception_name = record.exc_info[0].__name__
        return True


class JsonFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines. Powertools renders a traceback from `exc_info` only; RedactingFilter
    has replaced that with the redacted `exc_text`, which goes out as Powertools' `exception` key."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_text and not record.exc_info:
            record.exception = record.exc_text
        return super().format(record)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.ids = "".join(f" {key}={getattr(record, key)}" for key in IDS if hasattr(record, key))
        return super().formatMessage(record)


def configure_logging(
    service: str, fmt: LogFormat = "json", level: str | int | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Route every logger through one root handler (replacing any, such as the one Lambda's runtime
    installs, which shows no ids and drops our INFO lines) with ids and redaction."""
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter(service=service, name="%(name)s") if fmt == "json" else TextFormatter()
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    redaction.install(root)  # after ContextFilter: it needs exc_info, which redaction drops
    root.setLevel(_level(level))
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _level(level: str | int | None) -> str | int:
    # Lambda's Advanced Logging Controls drop lines below AWS_LAMBDA_LOG_LEVEL anyway: it wins, as
    # in Powertools' Logger. Its TRACE and FATAL have no Python name.
    chosen = os.environ.get("AWS_LAMBDA_LOG_LEVEL") or level or os.environ.get("LOGLEVEL") or "INFO"
    if isinstance(chosen, int):
        return chosen
    return {"TRACE": "DEBUG", "FATAL": "CRITICAL"}.get(chosen.upper(), chosen.upper())
