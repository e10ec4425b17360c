"""Settings refuse what would fail later, and quietly: a host with a path, a listener without its secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handler.contract.settings import Settings
from listener.service import Listener

pytestmark = pytest.mark.unit
AWS = {
    "ANGO_BATCH_JOB_QUEUE_URL": "q",
    "ANGO_BATCH_STATUS_QUEUE_URL": "s",
    "ANGO_BATCH_LEDGER_BUCKET": "b",
    "ANGO_BATCH_KMS_KEY_ID": "k",
}


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("https://imeritapi.ango.ai", "https://imeritapi.ango.ai"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ],
)
def test_an_origin_is_taken_as_it_is(host: str, origin: str) -> None:
    assert Settings(ANGO_HOST=host).ango_host == origin


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("https://imeritapi.ango.ai/v2", "without a path: https://imeritapi.ango.ai, not"),
        ("imeritapi.ango.ai", "must be an origin"),
        ("ftp://imeritapi.ango.ai", "must be an origin"),
        ("https://imeritapi.ango.ai?x=1", "without a path"),
    ],
)
def test_a_host_that_is_not_an_origin_is_refused_with_the_fix(host: str, says: str) -> None:
    with pytest.raises(ValidationError, match="ANGO_HOST") as refused:
        Settings(ANGO_HOST=host)
    assert says in str(refused.value)


def test_the_listener_refuses_to_start_without_the_plugin_secret() -> None:
    with pytest.raises(ValueError, match="missing settings: ANGO_PLUGIN_SECRET"):
        Listener(Settings(ANGO_PLUGIN_ID="p", **AWS))
    with pytest.raises(ValueError, match="ANGO_PLUGIN_ID, ANGO_PLUGIN_SECRET"):
        Listener(Settings(**AWS))
