"""Compute per ComputeMode: the job queue's visibility fits who consumes it, ECS workers scale
0 -> 1 -> N -> 0 on the backlog without stopping a busy task, and every mode (with and without the
listener) deploys: nothing it creates refers to something it leaves out."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from handler import worker
from tests.infra.cfn import as_list, load_template, references, render

pytestmark = pytest.mark.unit

MODES = [
    {"ComputeMode": mode, "DeployListener": listener}
    for mode, listener in itertools.product(["lambda", "ecs", "none"], ["true", "false"])
]
PSEUDO = {"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix"}
JOB_QUEUE_NAME = {"Fn::GetAtt": ["JobQueue", "QueueName"]}
WORKER_SERVICE_DIMENSIONS = [
    {"Name": "ClusterName", "Value": {"Ref": "Cluster"}},
    {"Name": "ServiceName", "Value": {"Fn::GetAtt": ["WorkerService", "Name"]}},
]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.mark.parametrize("parameters", MODES, ids=lambda p: "-".join(p.values()))
def test_every_mode_refers_only_to_what_it_creates(
    template: dict[str, Any], parameters: dict[str, str]
) -> None:
    deployed = render(template, parameters)
    known = set(deployed["Resources"]) | set(template["Parameters"]) | PSEUDO
    for name, resource in {**deployed["Resources"], **deployed["Outputs"]}.items():
        missing = references(resource) - known
        assert not missing, (parameters, name, missing)


@pytest.mark.parametrize(
    ("mode", "visibility"),
    [
        ("lambda", {"Fn::FindInMap": ["JobVisibility", {"Ref": "FunctionTimeoutSeconds"}, "Seconds"]}),
        ("ecs", {"Ref": "WorkerVisibilitySeconds"}),
        ("none", {"Ref": "WorkerVisibilitySeconds"}),
    ],
)
def test_job_visibility_fits_the_compute_mode(template: dict[str, Any], mode: str, visibility: Any) -> None:
    deployed = render(template, {"ComputeMode": mode})
    assert deployed["Resources"]["JobQueue"]["Properties"]["VisibilityTimeout"] == visibility


def test_container_workers_get_a_short_visibility_they_can_extend(template: dict[str, Any]) -> None:
    """A killed worker's job is back within minutes; a live one extends its jobs every half of it
    (the worker reads the queue's VisibilityTimeout at start), its polls ending when a renewal is
    due, or up to SQS's shortest long poll later: far inside the other half."""
    parameter = template["Parameters"]["WorkerVisibilitySeconds"]
    assert parameter["Default"] == 120
    assert parameter["MinValue"] / 2 >= 10 * worker.MIN_POLL_SECONDS
    assert parameter["MaxValue"] <= 43200


def test_workers_scale_from_zero_on_any_waiting_job(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    target = resources["WorkerScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, {"Ref": "WorkerMaxCount"})
    policy = resources["WorkerScaleFromZeroPolicy"]["Properties"]
    assert policy["PolicyType"] == "StepScaling"
    step = policy["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ChangeInCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    alarm = resources["WorkerScaleFromZeroAlarm"]["Properties"]
    assert alarm["AlarmActions"] == [{"Ref": "WorkerScaleFromZeroPolicy"}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    metrics = _metric_queries(alarm["Metrics"])
    assert metrics["visible"] == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", [_queue(JOB_QUEUE_NAME)])
    assert metrics["desired"] == ("ECS/ContainerInsights", "DesiredTaskCount", WORKER_SERVICE_DIMENSIONS)
    assert _expression(alarm["Metrics"]) == "IF(FILL(desired, 0) < 1 AND visible > 0, 1, 0)"


def test_workers_track_the_backlog_per_running_task(template: dict[str, Any]) -> None:
    policy = template["Resources"]["WorkerBacklogPerTaskPolicy"]["Properties"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == {"Ref": "WorkerBacklogPerTask"}
    assert tracking.get("DisableScaleIn", False) is False  # busy tasks are protected, idle ones go
    queries = tracking["CustomizedMetricSpecification"]["Metrics"]
    assert _expression(queries) == "visible / running"
    metrics = _metric_queries(queries)
    assert metrics["visible"] == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", [_queue(JOB_QUEUE_NAME)])
    assert metrics["running"] == ("ECS/ContainerInsights", "RunningTaskCount", WORKER_SERVICE_DIMENSIONS)
    cluster = template["Resources"]["Cluster"]["Properties"]  # where those task counts come from
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_workers_go_to_zero_only_when_nothing_waits_or_runs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    alarm = resources["WorkerIdleAlarm"]["Properties"]
    assert alarm["AlarmActions"] == [{"Ref": "WorkerScaleInPolicy"}]
    assert _expression(alarm["Metrics"]) == "visible + inflight"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanOrEqualToThreshold", 0)
    assert alarm["EvaluationPeriods"] == 10
    step = resources["WorkerScaleInPolicy"]["Properties"]["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ExactCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]


def test_a_busy_worker_may_protect_its_own_task_and_no_other(template: dict[str, Any]) -> None:
    deployed = render(template, {"ComputeMode": "ecs"})["Resources"]
    (protect,) = [
        p for p in deployed["HandlerRole"]["Properties"]["Policies"] if "Protect" in p["PolicyName"]
    ]
    (statement,) = protect["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == {"ecs:UpdateTaskProtection", "ecs:GetTaskProtection"}
    assert statement["Resource"]["Fn::Sub"].endswith(":task/${Cluster}/*")
    lambda_role = render(template, {"ComputeMode": "lambda"})["Resources"]["HandlerRole"]["Properties"]
    assert all("Protect" not in p["PolicyName"] for p in lambda_role["Policies"])


def test_ecs_workers_run_the_gpu_image_on_amazon_linux_2023(template: dict[str, Any]) -> None:
    ami = template["Parameters"]["WorkerAmiParameter"]["Default"]
    assert ami == "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    (container,) = template["Resources"]["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    default_image = as_list(container["Image"])[-1]["Fn::Sub"]
    assert default_image.endswith("/ango-batch-worker-gpu:${ImageTag}")
    assert (container["EntryPoint"], container["Command"]) == (["ango-batch"], ["work"])
    assert container["StopTimeout"] == 120


def _queue(name: Any) -> dict[str, Any]:
    return {"Name": "QueueName", "Value": name}


def _metric_queries(queries: list[dict[str, Any]]) -> dict[str, tuple[str, str, list[Any]]]:
    found = {}
    for query in queries:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            found[query["Id"]] = (metric["Namespace"], metric["MetricName"], metric["Dimensions"])
    return found


def _expression(queries: list[dict[str, Any]]) -> str:
    (returned,) = [q for q in queries if q.get("ReturnData", True)]
    return str(returned["Expression"])


def test_the_handlers_plan_with_the_stacks_fair_turns(template: dict[str, Any]) -> None:
    """Planning runs in whichever handler takes a plan job: both compute modes get the setting."""
    from handler.contract.settings import Settings

    parameter = template["Parameters"]["JobsAheadPerRun"]
    assert parameter["Default"] == Settings.default("jobs_ahead_per_run") == 16
    resources = template["Resources"]
    function = resources["HandlerFunction"]["Properties"]["Environment"]["Variables"]
    (worker,) = resources["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"]
    env = {item["Name"]: item["Value"] for item in worker["Environment"]}
    assert (
        function["ANGO_BATCH_JOBS_AHEAD_PER_RUN"]
        == env["ANGO_BATCH_JOBS_AHEAD_PER_RUN"]
        == {"Ref": "JobsAheadPerRun"}
    )
