"""Alarms and the dashboard. LocalStack has no CloudWatch worth the name, so each alarm's metric,
statistic and threshold is checked on the template, and the dashboard body is parsed as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.cfn import load_template, render, resources

pytestmark = pytest.mark.unit

# The metrics contract with the product's embedded-metric-format output.
NAMESPACE = "AngoBatch"
HANDLER_METRICS = {
    "AssetsPrelabeled",
    "AssetsFailed",
    "AssetsSkipped",
    "JobDuration",
    "ModelSecondsPerImage",
    "HubCalls",
    "HubThrottled",
}
LISTENER_METRICS = {"ListenerConnected", "RunsAccepted", "HubCalls", "HubThrottled"}
QUEUES = ("JobQueue", "JobDeadLetterQueue", "StatusQueue", "StatusDeadLetterQueue")
NOTIFY = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}

# alarm -> (condition, namespace, metric, dimension value, statistic, period, periods, threshold, operator)
SIMPLE_ALARMS = {
    "ListenerDisconnectedAlarm": (
        "UseListener", NAMESPACE, "ListenerConnected", "listener", "Maximum", 60, 5, 1, "LessThanThreshold"
    ),
    "HandlerErrorsAlarm": (
        "UseLambda", "AWS/Lambda", "Errors", {"Ref": "HandlerFunction"}, "Sum", 300, 1, 0,
        "GreaterThanThreshold",
    ),
    "HandlerThrottlesAlarm": (
        "UseLambda", "AWS/Lambda", "Throttles", {"Ref": "HandlerFunction"}, "Sum", 300, 1, 0,
        "GreaterThanThreshold",
    ),
    "JobAgeAlarm": (
        None, "AWS/SQS", "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": ["JobQueue", "QueueName"]},
        "Maximum", 300, 1, {"Ref": "OldestJobAgeAlarmSeconds"}, "GreaterThanThreshold",
    ),
    "StatusAgeAlarm": (
        None, "AWS/SQS", "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": ["StatusQueue", "QueueName"]},
        "Maximum", 300, 1, {"Ref": "OldestStatusAgeAlarmSeconds"}, "GreaterThanThreshold",
    ),
    "StatusDeadLetterAlarm": (
        None, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["StatusDeadLetterQueue", "QueueName"]}, "Maximum", 60, 1, 0, "GreaterThanThreshold",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.mark.parametrize("name", sorted(SIMPLE_ALARMS))
def test_alarm_watches_its_metric(template: dict[str, Any], name: str) -> None:
    condition, namespace, metric, dimension, stat, period, periods, threshold, operator = SIMPLE_ALARMS[name]
    alarm = template["Resources"][name]
    props = alarm["Properties"]
    assert alarm.get("Condition") == condition
    assert (props["Namespace"], props["MetricName"]) == (namespace, metric)
    assert [d["Value"] for d in props["Dimensions"]] == [dimension]
    assert (props["Statistic"], props["Period"], props["EvaluationPeriods"]) == (stat, period, periods)
    assert (props["Threshold"], props["ComparisonOperator"]) == (threshold, operator)
    assert props["AlarmActions"] == NOTIFY  # notifies a topic if one is given, works without


def test_a_silent_listener_counts_as_disconnected(template: dict[str, Any]) -> None:
    """A dead listener emits nothing: missing data must breach, over all five minutes."""
    props = template["Resources"]["ListenerDisconnectedAlarm"]["Properties"]
    assert props["TreatMissingData"] == "breaching"
    assert props["DatapointsToAlarm"] == 5
    assert props["Dimensions"] == [{"Name": "Service", "Value": "listener"}]


def test_dead_jobs_alarm_on_depth_or_receives_not_on_sends(template: dict[str, Any]) -> None:
    """A redrive policy's moves are not in NumberOfMessagesSent, and the listener drains the queue
    within seconds: depth (Maximum) or receives (Sum) of the job DLQ, over one minute."""
    props = template["Resources"]["JobDeadLetterAlarm"]["Properties"]
    assert "NumberOfMessagesSent" not in json.dumps(props)
    queries = {q["Id"]: q for q in props["Metrics"]}
    (result,) = [q for q in queries.values() if q.get("ReturnData", True)]
    assert result["Expression"] == "FILL(visible, 0) + FILL(received, 0)"
    watched = {
        (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"], q["MetricStat"]["Period"])
        for q in queries.values()
        if "MetricStat" in q
    }
    assert watched == {
        ("ApproximateNumberOfMessagesVisible", "Maximum", 60),
        ("NumberOfMessagesReceived", "Sum", 60),
    }
    for query in queries.values():
        if "MetricStat" in query:
            dimensions = query["MetricStat"]["Metric"]["Dimensions"]
            assert dimensions == [
                {"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobDeadLetterQueue", "QueueName"]}}
            ]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["AlarmActions"] == NOTIFY


def test_alarms_work_without_a_topic(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    for name, alarm in render(template, {"ComputeMode": "ecs"})["Resources"].items():
        if alarm["Type"] == "AWS::CloudWatch::Alarm":
            actions = alarm["Properties"].get("AlarmActions", [])
            assert all("Ref" in a and a["Ref"].startswith("Worker") for a in actions), name


def test_dashboard_is_json_naming_the_product_and_queue_metrics(template: dict[str, Any]) -> None:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    placeholders = set(re.findall(r"\$\{([^}]+)\}", body))
    assert placeholders - set(variables) == {"AWS::Region"}
    widgets = json.loads(re.sub(r"\$\{([^}]+)\}", r"<\1>", body))["widgets"]
    metrics = [metric for widget in widgets for metric in _expanded(widget["properties"]["metrics"])]
    named = {(m[0], m[1], tuple(m[2:])) for m in metrics}
    assert {(NAMESPACE, m, ("Service", "handler")) for m in HANDLER_METRICS} <= named
    assert {(NAMESPACE, m, ("Service", "listener")) for m in LISTENER_METRICS} <= named
    queues_shown = {m[3] for m in metrics if m[0] == "AWS/SQS"}
    assert queues_shown == {f"<{queue}Name>" for queue in QUEUES}
    assert all(variables[f"{queue}Name"] == {"Fn::GetAtt": [queue, "QueueName"]} for queue in QUEUES)


def _expanded(metrics: list[list[Any]]) -> list[list[str]]:
    """Dashboard metric rows with "." (same as the row before) filled in, options dropped."""
    rows: list[list[str]] = []
    for row in metrics:
        fields = [f for f in row if isinstance(f, str)]
        previous = rows[-1] if rows else []
        rows.append([previous[i] if f == "." else f for i, f in enumerate(fields)])
    return rows


def test_the_function_logs_json_at_info(template: dict[str, Any]) -> None:
    """Lambda's JSON log format keeps our JSON lines as they are and filters them at INFO; with the
    Text format, INFO lines of handler.* would arrive unstructured (handler/contract/logs.py)."""
    logging = template["Resources"]["HandlerFunction"]["Properties"]["LoggingConfig"]
    assert logging["LogFormat"] == "JSON" and logging["ApplicationLogLevel"] == "INFO"
