"""A model served elsewhere or kept in S3 (README, Bring your model): the handlers may invoke the one
SageMaker endpoint named, read the one secret named and the one ONNX object named, and nothing of
the kind when none is named. Checked on the template rendered with each set of parameters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import as_list, load_template, render

pytestmark = pytest.mark.unit
MODEL_SIDS = {"InvokeModelEndpoint", "ReadEndpointSecret", "ReadModelFile"}
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:model-token-AbCdEf"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def handler_statements(template: dict[str, Any], **parameters: str) -> dict[str, dict[str, Any]]:
    rendered = render(template, {"ComputeMode": "lambda", **parameters})
    document = rendered["Resources"]["HandlerPolicy"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in as_list(document["Statement"])}


def test_nothing_of_the_kind_is_granted_when_no_model_resource_is_named(template: dict[str, Any]) -> None:
    assert not set(handler_statements(template)) & MODEL_SIDS
    local = handler_statements(template, ModelName="onnx", ModelFileUri="/opt/models/yolo.onnx")
    assert not set(local) & MODEL_SIDS  # a file in the image needs no grant


def test_each_named_model_resource_is_granted_alone_and_exactly(template: dict[str, Any]) -> None:
    granted = handler_statements(
        template,
        SageMakerEndpointName="faces-prod",
        EndpointSecretArn=SECRET,
        ModelFileUri="s3://models-bucket/detectors/yolo.onnx",
    )
    assert set(granted) & MODEL_SIDS == MODEL_SIDS
    invoke = granted["InvokeModelEndpoint"]
    assert invoke["Action"] == "sagemaker:InvokeEndpoint"
    arn = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/${SageMakerEndpointName}"
    assert invoke["Resource"] == {"Fn::Sub": arn}
    assert granted["ReadEndpointSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert granted["ReadEndpointSecret"]["Resource"] == {"Ref": "EndpointSecretArn"}
    read = granted["ReadModelFile"]
    assert read["Action"] == "s3:GetObject"
    separator, (prefix, key) = read["Resource"]["Fn::Join"]
    assert (separator, prefix) == ("", {"Fn::Sub": "arn:${AWS::Partition}:s3:::"})
    assert key == {"Fn::Select": [1, {"Fn::Split": ["s3://", {"Ref": "ModelFileUri"}]}]}


def test_an_endpoint_name_must_be_spelled_as_its_arn_is(template: dict[str, Any]) -> None:
    import re

    pattern = template["Parameters"]["SageMakerEndpointName"]["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "faces-prod-2")
    assert not re.fullmatch(pattern, "Faces-Prod") and not re.fullmatch(pattern, "faces_prod")


def test_the_spec_file_reaches_listener_and_handlers_alike(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    function = resources["HandlerFunction"]["Properties"]["Environment"]["Variables"]
    assert (
        function["ANGO_BATCH_ONNX_SPEC"] == function["ANGO_BATCH_ENDPOINT_SPEC"] == {"Ref": "ModelSpecFile"}
    )
    for task in ("WorkerTaskDefinition", "ListenerTaskDefinition"):
        (container,) = resources[task]["Properties"]["ContainerDefinitions"]
        env = {item["Name"]: item["Value"] for item in container["Environment"]}
        assert env["ANGO_BATCH_ONNX_SPEC"] == env["ANGO_BATCH_ENDPOINT_SPEC"] == {"Ref": "ModelSpecFile"}, (
            task
        )
