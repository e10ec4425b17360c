"""Import retries look before they leap: after a failure that may have applied, only what did not
land at Hub is sent again; after a 429, everything is sent again without a look."""

from __future__ import annotations

from typing import Any

import pytest

from handler.contract.hub_http import AngoError
from handler.contract.messages import AssetRef
from handler.contract.records import ImportRecord
from handler.contract.retry import HubBusyError, RetryPolicy, TransientError
from handler.import_journal import ImportJournal
from handler.importer import Importer
from handler.inference.tally import JobTally
from handler.outputs.prelabels import AssetLabels

pytestmark = pytest.mark.unit
RUN = "run1"


def _labeled(asset_id: str) -> tuple[AssetRef, AssetLabels]:
    asset = AssetRef(asset_id=asset_id, external_id=f"{asset_id}.jpg", data_url=f"https://x/{asset_id}.jpg")
    item = {"externalId": asset.external_id, "objects": [{"objectId": f"{RUN}-{asset_id}-0"}]}
    return asset, AssetLabels(item, 1, 0)


class ScriptedHub:
    """Answers imports from a script of outcomes; 'applied' outcomes store the objects first."""

    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.stored: dict[str, set[str]] = {}
        self.sent: list[list[str]] = []
        self.looks = 0

    def import_prelabels_once(self, project_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append([item["externalId"] for item in items])
        outcome = self.outcomes.pop(0)
        if outcome in ("ok", "5xx after apply"):
            for item in items:
                asset_id = item["externalId"].removesuffix(".jpg")
                self.stored.setdefault(asset_id, set()).update(o["objectId"] for o in item["objects"])
        if outcome == "5xx after apply":
            raise TransientError("HTTP 502")
        if outcome == "429":  # as handler/ango.py raises it: paced, costs no attempt
            raise TransientError("HTTP 429", retry_after=0, maybe_applied=False, throttled=True)
        if outcome == "503":
            raise TransientError("HTTP 503")
        if outcome == "400":
            raise AngoError(400, "bad item")
        return {}

    def stored_object_ids(self, project_id: str, assets: list[AssetRef]) -> dict[str, set[str]]:
        self.looks += 1
        return {asset.asset_id: set(self.stored.get(asset.asset_id, ())) for asset in assets}


POLICY = RetryPolicy(attempts=4, base_delay=0, max_delay=0)
NO_JOURNAL = None  # `send` and `landed` write nothing


def test_a_5xx_after_apply_is_not_imported_again() -> None:
    hub = ScriptedHub(["5xx after apply"])
    Importer(hub, "p", RUN, NO_JOURNAL, POLICY, sleep=lambda _: None).send([_labeled("a"), _labeled("b")])  # type: ignore[arg-type]
    assert hub.sent == [["a.jpg", "b.jpg"]] and hub.looks == 1
    assert all(len(ids) == 1 for ids in hub.stored.values())


def test_a_429_is_retried_without_looking() -> None:
    hub = ScriptedHub(["429", "ok"])
    Importer(hub, "p", RUN, NO_JOURNAL, POLICY, sleep=lambda _: None).send([_labeled("a")])  # type: ignore[arg-type]
    assert hub.sent == [["a.jpg"], ["a.jpg"]] and hub.looks == 0


def test_attempts_are_bounded() -> None:
    hub = ScriptedHub(["503"] * 4)
    with pytest.raises(TransientError):
        Importer(hub, "p", RUN, NO_JOURNAL, POLICY, sleep=lambda _: None).send([_labeled("a")])  # type: ignore[arg-type]
    assert len(hub.sent) == POLICY.attempts


def test_429s_cost_no_attempt_and_are_waited_out() -> None:
    hub = ScriptedHub(["429"] * 10 + ["ok"])
    Importer(hub, "p", RUN, NO_JOURNAL, POLICY, sleep=lambda _: None).send([_labeled("a")])  # type: ignore[arg-type]
    assert len(hub.sent) == 11 and hub.stored == {"a": {f"{RUN}-a-0"}} and hub.looks == 0


def test_429s_past_the_patience_hand_the_job_back() -> None:
    hub = ScriptedHub(["429"] * 1000)
    impatient = RetryPolicy(attempts=4, base_delay=0, max_delay=0, throttle_patience=0)
    with pytest.raises(HubBusyError):
        Importer(hub, "p", RUN, NO_JOURNAL, impatient, sleep=lambda _: None).send([_labeled("a")])  # type: ignore[arg-type]
    assert len(hub.sent) == 1 and not hub.stored


def test_a_permanent_refusal_is_raised_at_once() -> None:
    hub = ScriptedHub(["400"])
    with pytest.raises(AngoError):
        Importer(hub, "p", RUN, NO_JOURNAL, POLICY, sleep=lambda _: None).send([_labeled("a")])  # type: ignore[arg-type]
    assert len(hub.sent) == 1


def test_only_this_runs_objects_count_as_landed() -> None:
    hub = ScriptedHub([])
    hub.stored = {"a": {f"{RUN}-a-0", f"{RUN}-a-1"}, "b": {"other-run-b-0"}, "c": set()}
    assets = [_labeled(x)[0] for x in "abc"]
    assert Importer(hub, "p", RUN, NO_JOURNAL).landed(assets) == {"a": 2}  # type: ignore[arg-type]


class MemoryLedger:
    """The two ledger calls the import journal makes, kept in memory, versions and all."""

    def __init__(self) -> None:
        self.record = ImportRecord()
        self.version = 0

    def load_imports(self, run_id: str, job_id: str) -> tuple[ImportRecord, str | None]:
        return self.record, (str(self.version) if self.version else None)

    def save_imports(self, run_id: str, job_id: str, record: ImportRecord, version: str | None) -> str:
        assert version == (str(self.version) if self.version else None), "stale journal write"
        self.record, self.version = record, self.version + 1
        return str(self.version)


def test_a_refused_retry_still_counts_what_an_earlier_attempt_landed() -> None:
    hub = ScriptedHub(["400"])
    hub.stored = {"a": {f"{RUN}-a-0"}}  # landed by an attempt whose answer was a 5xx
    ledger = MemoryLedger()
    journal = ImportJournal(ledger, RUN, "000000")  # type: ignore[arg-type]
    tally = JobTally()
    importer = Importer(hub, "p", RUN, journal)  # type: ignore[arg-type]
    importer.import_all([_labeled("a"), _labeled("b")], 100, tally, cancelled=None)
    assert (tally.labeled, tally.objects) == (1, 1)
    assert [failure.external_id for failure in tally.failures] == ["b.jpg"]
    assert journal.done() == {"a": 1} and not journal.in_doubt()
