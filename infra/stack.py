"""Deploy `template.yaml` to LocalStack (or any CloudFormation endpoint) and read its outputs.

The local stack is the production template with `ComputeMode=none` and `DeployListener=false`:
LocalStack cannot run Lambda or ECS here, and everything a run needs (queues, ledger, key) does
not depend on them. Deploying goes through a change set, so a second deploy with nothing changed
is a no-op that just returns the outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from handler.contract.stack_outputs import DEFAULT_STACK_NAME, StackError, StackOutputs
from handler.contract.stack_outputs import read_stack_outputs as read_outputs
from infra.localstack import DEFAULT_ENDPOINT, LocalStackError, ensure_localstack, local_aws_env

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CapabilityType, ChangeSetTypeType
    from mypy_boto3_cloudformation.type_defs import StackTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import LifecycleRuleTypeDef, ServerSideEncryptionByDefaultTypeDef

logger = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"
LOCAL_PARAMETERS: Mapping[str, str] = {"ComputeMode": "none", "DeployListener": "false"}
CAPABILITIES: Sequence[CapabilityType] = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
_POLL_SECONDS = 1.0
INLINE_TEMPLATE_LIMIT = 51_200  # CloudFormation's limit on TemplateBody
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def deploy_stack(
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
    timeout: float = 300.0,
) -> StackOutputs:
    """Create or update the stack from `template.yaml`; return its outputs when it is complete."""
    cfn = _cloudformation(endpoint_url)
    values = {**LOCAL_PARAMETERS, **(parameters or {})}
    status = _stack_status(cfn, stack_name)
    if status == "ROLLBACK_COMPLETE":
        # A failed first create cannot be updated, only replaced.
        logger.info("stack %s is in ROLLBACK_COMPLETE; deleting it first", stack_name)
        delete_stack(stack_name, endpoint_url, timeout)
        status = None
    change_type: ChangeSetTypeType = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    request: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetType": change_type,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())],
        "Capabilities": CAPABILITIES,
        **_template_source(endpoint_url),
    }
    change_set, has_changes = _ready_change_set(cfn, request, timeout)
    if has_changes or change_type == "CREATE":
        logger.info("deploying stack %s (%s)", stack_name, change_type.lower())
        cfn.execute_change_set(StackName=stack_name, ChangeSetName=change_set)
        _wait_for_stack(cfn, stack_name, timeout)
    else:
        logger.info("stack %s is up to date", stack_name)
        cfn.delete_change_set(StackName=stack_name, ChangeSetName=change_set)
    outputs = read_stack_outputs(stack_name, endpoint_url)
    _converge_ledger_bucket(outputs, _stack_parameters(cfn, stack_name), endpoint_url)
    return outputs


# LocalStack's SAM transform now and then fails a change set with "AWS Region cannot be found": the
# translator reads the region from a process-wide boto3 default that another request of LocalStack's
# may have in hand at that moment (seen once in 40-odd deploys of one CI run, the next deploy of the
# same template fine). Such a change set is made again; any other failure stands.
_TRANSIENT_TRANSFORM = "AWS Region cannot be found"
_CHANGE_SET_TRIES = 3


def _ready_change_set(cfn: CloudFormationClient, request: dict[str, Any], timeout: float) -> tuple[str, bool]:
    """A change set made and ready: (its name, whether it holds changes)."""
    for attempt in range(1, _CHANGE_SET_TRIES + 1):
        change_set = f"ango-batch-{uuid.uuid4().hex[:12]}"
        cfn.create_change_set(**request, ChangeSetName=change_set)
        try:
            return change_set, _wait_for_change_set(cfn, request["StackName"], change_set, timeout)
        except StackError as exc:
            if _TRANSIENT_TRANSFORM not in str(exc) or attempt == _CHANGE_SET_TRIES:
                raise
            logger.warning("%s; making the change set again", exc)
            cfn.delete_change_set(StackName=request["StackName"], ChangeSetName=change_set)
            time.sleep(attempt)
    raise AssertionError("unreachable")


def _template_source(endpoint_url: str | None) -> dict[str, str]:
    """The template inline when CloudFormation takes it so (51,200 bytes at most), else uploaded to
    a deployment bucket and passed by URL, as `sam deploy` does."""
    body = TEMPLATE_PATH.read_bytes()
    if len(body) <= INLINE_TEMPLATE_LIMIT:
        return {"TemplateBody": body.decode()}
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    account = boto3.client("sts", endpoint_url=endpoint_url).get_caller_identity()["Account"]
    bucket = f"ango-batch-templates-{account}"
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    key = f"template-{hashlib.sha256(body).hexdigest()[:16]}.yaml"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return {"TemplateURL": f"{s3.meta.endpoint_url.rstrip('/')}/{bucket}/{key}"}  # path style


def read_stack_outputs(stack_name: str = DEFAULT_STACK_NAME, endpoint_url: str | None = None) -> StackOutputs:
    """The outputs of a deployed stack."""
    return read_outputs(stack_name, _cloudformation(endpoint_url))


def delete_stack(stack_name: str, endpoint_url: str | None = None, timeout: float = 300.0) -> None:
    """Delete the stack and wait until it is gone."""
    cfn = _cloudformation(endpoint_url)
    if _describe(cfn, stack_name) is None:
        return
    cfn.delete_stack(StackName=stack_name)
    deadline = time.monotonic() + timeout
    while (status := _stack_status(cfn, stack_name)) not in (None, "DELETE_COMPLETE"):
        if status == "DELETE_FAILED" or time.monotonic() > deadline:
            raise StackError(f"stack {stack_name} not deleted ({status})\n{_failure_events(cfn, stack_name)}")
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def temporary_stack(prefix: str, parameters: Mapping[str, str]) -> Iterator[StackOutputs]:
    """A stack of its own under a unique name, deleted afterwards with its ledger's objects
    (a bucket must be empty to be deleted). For tests and the benchmark."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    outputs = deploy_stack(name, parameters=parameters)
    try:
        yield outputs
    finally:
        boto3.resource("s3").Bucket(outputs.ledger_bucket).objects.all().delete()
        delete_stack(name)


def _converge_ledger_bucket(
    outputs: StackOutputs, parameters: Mapping[str, str], endpoint_url: str | None
) -> None:
    """Give the ledger bucket the encryption and expiry the template asks for, where missing.

    LocalStack's AWS::S3::Bucket (2026.3) ignores BucketEncryption and LifecycleConfiguration, and
    the ledger relies on the bucket's default KMS encryption. Against AWS both are already in
    place and this changes nothing.
    """
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    bucket = outputs.ledger_bucket
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    algorithms = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    if "aws:kms" not in algorithms:
        logger.info("setting KMS default encryption on %s", bucket)
        default: ServerSideEncryptionByDefaultTypeDef = {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": outputs.kms_key_arn,
        }
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
            },
        )
    if "RunDataRetentionDays" in parameters and not _has_lifecycle(s3, bucket):
        logger.info("setting run-data expiry on %s", bucket)
        rule: LifecycleRuleTypeDef = {
            "ID": "ExpireRunData",
            "Status": "Enabled",
            "Filter": {"Prefix": "runs/"},
            "Expiration": {"Days": int(parameters["RunDataRetentionDays"])},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})


def _has_lifecycle(s3: S3Client, bucket: str) -> bool:
    try:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
            return False
        raise
    return True


def _stack_parameters(cfn: CloudFormationClient, stack_name: str) -> dict[str, str]:
    """The stack's parameter values, defaults included."""
    stack = _describe(cfn, stack_name)
    parameters = stack.get("Parameters", []) if stack else []
    return {p.get("ParameterKey", ""): p.get("ParameterValue", "") for p in parameters}


def _cloudformation(endpoint_url: str | None) -> CloudFormationClient:
    # endpoint_url None lets boto3 pick up AWS_ENDPOINT_URL (or talk to AWS itself).
    return boto3.client("cloudformation", endpoint_url=endpoint_url)


def _describe(cfn: CloudFormationClient, stack_name: str) -> StackTypeDef | None:
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stacks[0] if stacks else None


def _stack_status(cfn: CloudFormationClient, stack_name: str) -> str | None:
    stack = _describe(cfn, stack_name)
    return None if stack is None else str(stack["StackStatus"])


def _wait_for_change_set(cfn: CloudFormationClient, stack_name: str, change_set: str, timeout: float) -> bool:
    """True when the change set is ready to execute, False when it holds no changes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cfn.describe_change_set(StackName=stack_name, ChangeSetName=change_set)
        status, reason = found["Status"], found.get("StatusReason", "")
        if status == "CREATE_COMPLETE":
            # Some CloudFormation implementations (LocalStack) complete an empty change set
            # instead of failing it.
            return bool(found.get("Changes"))
        if status == "FAILED":
            if any(marker in reason for marker in _NO_CHANGES):
                return False
            raise StackError(f"change set for {stack_name} failed: {reason}")
        time.sleep(_POLL_SECONDS)
    raise StackError(f"change set for {stack_name} not ready after {timeout:.0f} s")


def _wait_for_stack(cfn: CloudFormationClient, stack_name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _stack_status(cfn, stack_name) or "DELETE_COMPLETE"
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status and status != "DELETE_COMPLETE":
            return
        if status.endswith(("_FAILED", "ROLLBACK_COMPLETE")) or status == "DELETE_COMPLETE":
            events = _failure_events(cfn, stack_name)
            logger.error("stack %s failed (%s):\n%s", stack_name, status, events)
            raise StackError(f"stack {stack_name} ended in {status}:\n{events}")
        time.sleep(_POLL_SECONDS)
    events = _failure_events(cfn, stack_name)
    raise StackError(f"stack {stack_name} not complete after {timeout:.0f} s\n{events}")


def _failure_events(cfn: CloudFormationClient, stack_name: str, limit: int = 20) -> str:
    """The stack's failed resource events, newest first, one per line."""
    try:
        events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    except ClientError as error:
        return f"(no stack events: {error})"
    failed = [e for e in events if "FAILED" in e.get("ResourceStatus", "")][:limit]
    lines = [
        f"  {e.get('LogicalResourceId')} {e.get('ResourceStatus')}: {e.get('ResourceStatusReason', '')}"
        for e in failed
    ]
    return "\n".join(lines) or "  (no failed resource events)"


def main(argv: Sequence[str] | None = None) -> int:
    """`ango-batch up`: start LocalStack if needed, deploy the local stack, print its outputs."""
    parser = argparse.ArgumentParser(prog="ango-batch up", description=main.__doc__)
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME, help="default: %(default)s")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # A local stack: LocalStack's fixed credentials and region unless the caller set their own.
    for key, value in local_aws_env(args.endpoint).items():
        os.environ.setdefault(key, value)
    try:
        ensure_localstack(args.endpoint)
        outputs = deploy_stack(args.stack_name, endpoint_url=args.endpoint)
    except (LocalStackError, StackError, ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(outputs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
