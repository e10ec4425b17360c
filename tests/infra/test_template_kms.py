"""The listener cannot decrypt a user's API key: every grant that lets it decrypt with the stack's
key (in the key policy, which alone suffices in KMS, and in IAM) is limited by kms:ViaService to
S3 (the ledger) and SQS (the encrypted queues). Nothing is deployed: LocalStack does not enforce
key policies, so this is checked on the template."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import as_list, load_template

pytestmark = pytest.mark.unit

LISTENER_ROLE = "ListenerTaskRole"
VIA_S3_AND_SQS = [
    {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"},
    {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
]
# Actions that yield plaintext or a data key (ReEncrypt decrypts under the hood); "*" covers all.
DECRYPTING_PREFIXES = ("kms:decrypt", "kms:generatedatakey", "kms:reencrypt", "kms:*", "*")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _decrypting(statement: dict[str, Any]) -> list[str]:
    actions = [str(a) for a in as_list(statement.get("Action", []))]
    return [a for a in actions if a.lower().startswith(DECRYPTING_PREFIXES)]


def _assert_via_s3_and_sqs_only(statement: dict[str, Any]) -> None:
    condition = statement.get("Condition", {})
    assert set(condition) == {"StringEquals"}, (statement.get("Sid"), condition)
    via = as_list(condition["StringEquals"].get("kms:ViaService"))
    assert via == VIA_S3_AND_SQS, (statement.get("Sid"), via)


def _listener_key_policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = template["Resources"]["Key"]["Properties"]["KeyPolicy"]
    listener = {"Fn::GetAtt": [LISTENER_ROLE, "Arn"]}
    return [s for s in as_list(policy["Statement"]) if listener in as_list(s["Principal"].get("AWS"))]


def _listener_iam_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every IAM statement the listener's role gets: managed or inline policies naming it, and
    the role's own inline policies."""
    found: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        is_policy = resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
        if is_policy and {"Ref": LISTENER_ROLE} in as_list(props.get("Roles", [])):
            found += as_list(props["PolicyDocument"]["Statement"])
    role = template["Resources"][LISTENER_ROLE]["Properties"]
    assert not role.get("ManagedPolicyArns"), "an AWS managed policy on the listener escapes this test"
    for policy in as_list(role.get("Policies", [])):
        found += as_list(policy["PolicyDocument"]["Statement"])
    return found


def test_key_policy_lets_the_listener_decrypt_only_via_s3_and_sqs(template: dict[str, Any]) -> None:
    checked = 0
    for statement in _listener_key_policy_statements(template):
        if statement["Effect"] == "Allow" and _decrypting(statement):
            _assert_via_s3_and_sqs_only(statement)
            checked += 1
    assert checked, "no key-policy grant to the listener was checked"


def test_key_policy_grants_the_listener_nothing_else_unconditionally(template: dict[str, Any]) -> None:
    unconditional = {
        str(action)
        for statement in _listener_key_policy_statements(template)
        if statement["Effect"] == "Allow" and "Condition" not in statement
        for action in as_list(statement["Action"])
    }
    assert unconditional == {"kms:Encrypt"}  # it encrypts each run's API key itself


def test_listener_iam_policies_decrypt_only_via_s3_and_sqs(template: dict[str, Any]) -> None:
    checked = 0
    for statement in _listener_iam_statements(template):
        if statement["Effect"] == "Allow" and _decrypting(statement):
            _assert_via_s3_and_sqs_only(statement)
            checked += 1
    assert checked, "no IAM grant to the listener was checked"


def test_the_listener_can_still_use_its_encrypted_queues_and_ledger(template: dict[str, Any]) -> None:
    """SSE with a customer key needs kms:Decrypt to receive and kms:GenerateDataKey to send; a
    condition narrower than S3 + SQS would break the listener on AWS (LocalStack would not tell)."""
    for statements in (_listener_key_policy_statements(template), _listener_iam_statements(template)):
        via_grants = [s for s in statements if s.get("Condition")]
        actions = {str(a) for s in via_grants for a in as_list(s["Action"])}
        assert {"kms:Decrypt", "kms:GenerateDataKey"} <= actions


def test_no_other_principal_in_the_key_policy_is_the_listener_in_disguise(template: dict[str, Any]) -> None:
    """Only the account root (IAM delegation, where the checks above apply), the handler, the
    listener and CloudWatch Logs (for this stack's log groups) appear in the key policy."""
    policy = template["Resources"]["Key"]["Properties"]["KeyPolicy"]
    principals = [s["Principal"] for s in as_list(policy["Statement"])]
    aws = [p["AWS"] for p in principals if "AWS" in p]
    assert aws.count({"Fn::GetAtt": [LISTENER_ROLE, "Arn"]}) == 2
    assert {"Fn::GetAtt": ["HandlerRole", "Arn"]} in aws
    assert {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"} in aws
    assert len(aws) == 4
    (logs,) = [s for s in as_list(policy["Statement"]) if "Service" in s["Principal"]]
    assert logs["Principal"]["Service"] == {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}
    arn = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert arn.endswith(":log-group:/ango-batch/${AWS::StackName}/*")
