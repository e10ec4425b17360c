"""Invariants of template.yaml that neither cfn-lint nor SAM checks: queue timing, encryption,
dead-letter queues and least privilege. The template is read as data; nothing is deployed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import TEMPLATE, as_list, load_template, resources, statements

pytestmark = pytest.mark.unit

# Statements allowed `Resource: "*"`, as (resource, Sid): in a key policy "*" means the key itself,
# and ecr:GetAuthorizationToken has no resource-level permissions (AWS requires "*").
WILDCARD_RESOURCE_ALLOWED = {
    ("Key", "AccountAdministersKey"),
    ("Key", "ListenerEncryptsApiKeys"),
    ("Key", "ListenerUsesKeyViaS3AndSqs"),
    ("Key", "HandlerUsesKey"),
    ("Key", "LogsEncryptStackLogGroups"),
    ("TaskExecutionRole", "EcrLogin"),
}
EXPECTED_OUTPUTS = {
    "JobQueueUrl",
    "JobQueueArn",
    "JobDeadLetterQueueUrl",
    "StatusQueueUrl",
    "StatusDeadLetterQueueUrl",
    "LedgerBucketName",
    "KmsKeyArn",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _default(template: dict[str, Any], parameter: str) -> str:
    return str(template["Parameters"][parameter]["Default"])


def test_job_visibility_timeout_is_at_least_six_function_timeouts(template: dict[str, Any]) -> None:
    queue = template["Resources"]["JobQueue"]["Properties"]
    function = template["Resources"]["HandlerFunction"]["Properties"]
    assert function["Timeout"] == {"Ref": "FunctionTimeoutSeconds"}
    condition, for_lambda, _ = queue["VisibilityTimeout"]["Fn::If"]
    assert condition == "UseLambda"  # container workers: see test_template_compute.py
    assert for_lambda == {"Fn::FindInMap": ["JobVisibility", {"Ref": "FunctionTimeoutSeconds"}, "Seconds"]}
    mapping = template["Mappings"]["JobVisibility"]
    allowed = template["Parameters"]["FunctionTimeoutSeconds"]["AllowedValues"]
    assert _default(template, "FunctionTimeoutSeconds") in allowed
    for timeout in allowed:
        visibility = mapping[str(timeout)]["Seconds"]
        assert visibility >= 6 * int(timeout), timeout
        assert visibility <= 43200  # SQS's maximum visibility timeout


def test_every_queue_is_encrypted_long_polled_and_dead_lettered(template: dict[str, Any]) -> None:
    queues = resources(template, "AWS::SQS::Queue")
    dead_letter_targets = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    assert dead_letter_targets == {"JobDeadLetterQueue", "StatusDeadLetterQueue"}
    for name, queue in queues.items():
        props = queue["Properties"]
        assert props["KmsMasterKeyId"] == {"Ref": "Key"}, name
        assert props["ReceiveMessageWaitTimeSeconds"] == 20, name
        if name in dead_letter_targets:
            assert props["MessageRetentionPeriod"] == 14 * 24 * 3600, name
        else:
            assert props["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}, name
    receive_count = template["Parameters"]["MaxReceiveCount"]
    assert 3 <= receive_count["MinValue"] <= receive_count["Default"] <= receive_count["MaxValue"] <= 5


def test_event_source_reports_batch_item_failures_and_caps_concurrency(template: dict[str, Any]) -> None:
    function = template["Resources"]["HandlerFunction"]
    assert function["Condition"] == "UseLambda"  # LocalStack cannot run it: ComputeMode=none skips it
    assert function["Properties"]["PackageType"] == "Image"
    assert function["Metadata"]["Dockerfile"] == "infra/Dockerfile.handler"
    assert (TEMPLATE.parent / function["Metadata"]["DockerContext"] / "infra/Dockerfile.handler").exists()
    (event,) = function["Properties"]["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "SQS"
    assert props["Queue"] == {"Fn::GetAtt": ["JobQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "MaximumConcurrency"}
    assert props["BatchSize"] == {"Ref": "BatchSize"}
    assert props["MaximumBatchingWindowInSeconds"] == {"Ref": "MaximumBatchingWindowSeconds"}


def test_no_wildcard_actions(template: dict[str, Any]) -> None:
    allowing = [(name, st) for name, st in statements(template) if st["Effect"] != "Deny"]
    assert len(allowing) >= 10  # the walk below has something to check
    for name, statement in allowing:  # a wide Deny (the bucket's TLS-only rule) only narrows access
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (name, statement.get("Sid"), action)


def test_every_resource_is_scoped(template: dict[str, Any]) -> None:
    allowing = [(name, st) for name, st in statements(template) if st["Effect"] != "Deny"]
    assert len(allowing) >= 10
    for name, statement in allowing:
        if "*" in as_list(statement["Resource"]):
            assert (name, statement.get("Sid")) in WILDCARD_RESOURCE_ALLOWED, (name, statement)


def _grants(template: dict[str, Any], policy: str, queue: str) -> set[str]:
    actions: set[str] = set()
    document = template["Resources"][policy]["Properties"]["PolicyDocument"]
    for statement in as_list(document["Statement"]):
        if {"Fn::GetAtt": [queue, "Arn"]} in as_list(statement["Resource"]):
            actions.update(as_list(statement["Action"]))
    return actions


def test_listener_enqueues_jobs_but_cannot_delete_them(template: dict[str, Any]) -> None:
    job_actions = _grants(template, "ListenerPolicy", "JobQueue")
    assert "sqs:SendMessage" in job_actions
    assert not job_actions & {"sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:PurgeQueue"}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= _grants(template, "ListenerPolicy", "StatusQueue")


def test_listener_drains_the_job_dead_letter_queue_only(template: dict[str, Any]) -> None:
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= _grants(
        template, "ListenerPolicy", "JobDeadLetterQueue"
    )
    assert not _grants(template, "ListenerPolicy", "StatusDeadLetterQueue")
    assert not _grants(template, "HandlerPolicy", "JobDeadLetterQueue")


def test_handler_consumes_and_plans_jobs_and_sends_status(template: dict[str, Any]) -> None:
    job_actions = _grants(template, "HandlerPolicy", "JobQueue")
    assert {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:SendMessage",
    } <= job_actions
    status_actions = _grants(template, "HandlerPolicy", "StatusQueue")
    assert "sqs:SendMessage" in status_actions
    assert "sqs:DeleteMessage" not in status_actions


def test_roles_touch_only_the_ledger_prefix(template: dict[str, Any]) -> None:
    checked = 0
    for policy in ("HandlerPolicy", "ListenerPolicy"):
        document = template["Resources"][policy]["Properties"]["PolicyDocument"]
        for statement in as_list(document["Statement"]):
            if statement.get("Sid") == "ReadModelFile":  # the one ONNX object named, when named:
                continue  # tests/infra/test_template_models.py
            actions = as_list(statement["Action"])
            if any(a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject") for a in actions):
                assert statement["Resource"] == {"Fn::Sub": "${LedgerBucket.Arn}/runs/*"}, policy
                checked += 1
            if "s3:ListBucket" in actions:
                assert statement["Condition"]["StringLikeIfExists"]["s3:prefix"] == "runs/*", policy
                checked += 1
    assert checked >= 4  # both roles read, write and list: the checks above all ran


def test_only_the_listener_deletes_ledger_objects(template: dict[str, Any]) -> None:
    def s3_actions(policy: str) -> set[str]:
        document = template["Resources"][policy]["Properties"]["PolicyDocument"]
        return {a for statement in as_list(document["Statement"]) for a in as_list(statement["Action"])}

    # It clears answered runs' markers (runs/_active/), cancel markers of retried runs and parked
    # dead jobs: without the grant those calls fail on AWS (LocalStack does not enforce IAM).
    assert "s3:DeleteObject" in s3_actions("ListenerPolicy")
    assert not {a for a in s3_actions("HandlerPolicy") if a.startswith("s3:Delete")}


def test_ledger_bucket_is_encrypted_private_and_tls_only(template: dict[str, Any]) -> None:
    props = template["Resources"]["LedgerBucket"]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert rule["BucketKeyEnabled"] is True
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    (expiry,) = props["LifecycleConfiguration"]["Rules"]
    assert expiry["ExpirationInDays"] == {"Ref": "RunDataRetentionDays"}
    policy = template["Resources"]["LedgerBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "LedgerBucket"}
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_key_rotates(template: dict[str, Any]) -> None:
    assert template["Resources"]["Key"]["Properties"]["EnableKeyRotation"] is True


def test_log_groups_have_retention(template: dict[str, Any]) -> None:
    groups = resources(template, "AWS::Logs::LogGroup")
    assert groups
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}, name


def test_ecs_workers_scale_to_zero_and_listener_runs_once(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["WorkerScalableTarget"]["Properties"]["MinCapacity"] == 0
    (worker,) = resources["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert (worker["EntryPoint"], worker["Command"]) == (["ango-batch"], ["work"])
    (listener,) = resources["ListenerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert listener["Command"] == ["ango-batch", "listen"]
    assert [s["Name"] for s in listener["Secrets"]] == ["ANGO_PLUGIN_SECRET"]
    assert resources["ListenerService"]["Properties"]["DesiredCount"] == 1


def test_container_environment_names_are_settings(template: dict[str, Any]) -> None:
    from handler.contract.settings import Settings

    aliases = {field.validation_alias for field in Settings.model_fields.values()}
    resources = template["Resources"]
    names = set(resources["HandlerFunction"]["Properties"]["Environment"]["Variables"])
    for task in ("WorkerTaskDefinition", "ListenerTaskDefinition"):
        (container,) = resources[task]["Properties"]["ContainerDefinitions"]
        names |= {item["Name"] for item in container["Environment"] + container.get("Secrets", [])}
    assert names <= aliases, names - aliases


def test_compute_is_optional_for_local_stacks(template: dict[str, Any]) -> None:
    modes = template["Parameters"]["ComputeMode"]["AllowedValues"]
    assert set(modes) == {"lambda", "ecs", "none"}
    unconditional = {n for n, r in template["Resources"].items() if "Condition" not in r}
    kinds = {template["Resources"][n]["Type"] for n in unconditional}
    assert not kinds & {"AWS::Serverless::Function", "AWS::ECS::Service", "AWS::ECS::Cluster"}


def test_outputs_are_present(template: dict[str, Any]) -> None:
    assert set(template["Outputs"]) >= EXPECTED_OUTPUTS
