"""The redaction backstop: a key in flight never reaches a log line, tracebacks included."""

from __future__ import annotations

import io
import logging

import pytest
import requests

from handler.contract.redaction import MASK, RedactingFilter, in_flight

pytestmark = pytest.mark.unit
KEY = "canary-KEY-4f1c2b9e"


def _logger() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"redaction-test-{id(out)}")
    logger.addHandler(handler)
    logger.propagate = False
    return logger, out


def test_a_library_error_that_quotes_the_key_is_redacted():
    logger, out = _logger()
    with in_flight(KEY):
        try:  # requests quotes an invalid header value in its error: the bug this guards against
            requests.Request("GET", "http://127.0.0.1:9/", headers={"apikey": KEY + "\r\nX: 1"}).prepare()
        except requests.RequestException as exc:
            logger.exception("accept failed: %s", exc)
    text = out.getvalue()
    assert KEY not in text
    assert MASK in text and "InvalidHeader" in text  # the traceback is still there, redacted


def test_only_keys_in_flight_are_redacted():
    logger, out = _logger()
    with in_flight(KEY):
        logger.warning("inside %s", KEY)
    logger.warning("after %s", KEY)  # no longer held: nothing to hide it from (and no false hits)
    lines = out.getvalue().splitlines()
    assert lines == [f"inside {MASK}", f"after {KEY}"]


def test_a_key_held_twice_stays_redacted_until_both_let_go():
    logger, out = _logger()
    with in_flight(KEY):
        with in_flight(KEY):
            pass
        logger.warning("%s", KEY)
    assert out.getvalue().strip() == MASK
