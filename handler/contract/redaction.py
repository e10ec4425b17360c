"""A backstop that keeps secrets in flight out of every log line.

Nothing logs an API key on purpose, but a library's exception text can quote one (requests'
`InvalidHeader` quotes the header value). Code that holds a key registers it with `in_flight` for
as long as it holds it; `RedactingFilter`, installed on every log handler, replaces any registered
secret in a record's message, arguments and traceback text before the record is written.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

MASK = "[REDACTED]"
_MIN_LENGTH = 6  # shorter strings are too likely to occur by chance; no real key is this short


class _SecretsInFlight:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()  # counted: two runs may carry the same key

    def add(self, secret: str) -> None:
        with self._lock:
            self._held[secret] += 1

    def discard(self, secret: str) -> None:
        with self._lock:
            self._held[secret] -= 1
            if self._held[secret] <= 0:
                del self._held[secret]

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = [secret for secret in self._held if secret in text]
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


SECRETS = _SecretsInFlight()


@contextmanager
def in_flight(secret: str) -> Iterator[None]:
    """Redact `secret` from every log line written while the block runs."""
    if len(secret) < _MIN_LENGTH:
        yield
        return
    SECRETS.add(secret)
    try:
        yield
    finally:
        SECRETS.discard(secret)


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no registered secret survives formatting: the message is rendered
    once with its arguments, and the traceback text is rendered and redacted too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = SECRETS.redact(message), None
        if record.exc_info:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = SECRETS.redact(text), None
        if record.stack_info:
            record.stack_info = SECRETS.redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
