"""LocalStack's SAM transform now and then fails a change set with "AWS Region cannot be found" (a
region it reads from a process-wide default): such a change set is made again; any other failure
stands at once (infra/stack.py)."""

from __future__ import annotations

from typing import Any

import pytest

from handler.contract.stack_outputs import StackError
from infra.stack import _ready_change_set

pytestmark = pytest.mark.unit


class ChangeSets:
    """CloudFormation's change-set calls, each new change set taking the next status given."""

    def __init__(self, *outcomes: tuple[str, str]) -> None:
        self.outcomes, self.made, self.deleted = list(outcomes), [], []
        self.status: dict[str, tuple[str, str]] = {}

    def create_change_set(self, **request: Any) -> None:
        self.made.append(request["ChangeSetName"])
        self.status[request["ChangeSetName"]] = self.outcomes.pop(0)

    def describe_change_set(self, StackName: str, ChangeSetName: str) -> dict[str, Any]:
        status, reason = self.status[ChangeSetName]
        return {"Status": status, "StatusReason": reason, "Changes": [{"Type": "Resource"}]}

    def delete_change_set(self, StackName: str, ChangeSetName: str) -> None:
        self.deleted.append(ChangeSetName)


REGION_LOST = ("FAILED", "Transform AWS::Serverless-2016-10-31 failed with: AWS Region cannot be found")


def test_a_change_set_failed_by_the_transforms_lost_region_is_made_again() -> None:
    cfn = ChangeSets(REGION_LOST, ("CREATE_COMPLETE", ""))
    name, has_changes = _ready_change_set(cfn, {"StackName": "s"}, timeout=5)  # type: ignore[arg-type]
    assert has_changes and cfn.made == [cfn.deleted[0], name] and len(set(cfn.made)) == 2


def test_any_other_failure_stands_and_the_lost_region_only_so_often() -> None:
    other = ChangeSets(("FAILED", "Template format error: unresolved resource"))
    with pytest.raises(StackError, match="unresolved resource"):
        _ready_change_set(other, {"StackName": "s"}, timeout=5)  # type: ignore[arg-type]
    assert len(other.made) == 1
    always = ChangeSets(REGION_LOST, REGION_LOST, REGION_LOST)
    with pytest.raises(StackError, match="AWS Region cannot be found"):
        _ready_change_set(always, {"StackName": "s"}, timeout=5)  # type: ignore[arg-type]
    assert len(always.made) == 3
