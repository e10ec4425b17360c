"""LocalStack start-up: the parts that need no LocalStack, and idempotence against a real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import localstack as ls


@pytest.fixture
def no_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the start-up state at an empty directory, away from any running LocalStack."""
    monkeypatch.setattr(ls, "STATE_DIR", tmp_path / ".localstack")
    return tmp_path


@pytest.mark.unit
def test_missing_venv_says_how_to_install(no_state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ls.VENV_ENV_VAR, str(no_state / "absent"))
    with pytest.raises(ls.LocalStackError, match=r"make \.venv-localstack/\.installed"):
        # Port 9 (discard) answers no HTTP, so this must try to start one.
        ls.ensure_localstack("http://127.0.0.1:9", timeout=1.0)


@pytest.mark.unit
def test_stop_without_a_started_localstack_does_nothing(no_state: Path) -> None:
    assert ls.stop_localstack() is False


@pytest.mark.unit
def test_process_env_listens_where_the_endpoint_points(tmp_path: Path) -> None:
    env = ls._process_env("http://127.0.0.1:4599", tmp_path)
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4599"
    assert env["SQS_ENDPOINT_STRATEGY"] == "path"
    assert env["LOCALSTACK_VOLUME_DIR"] == str(tmp_path)
    assert set(env["SERVICES"].split(",")) >= {"sqs", "s3", "kms", "cloudformation", "cloudwatch"}
    assert "AWS_ENDPOINT_URL" not in env


@pytest.mark.unit
def test_missing_services_reads_the_health_document() -> None:
    document = {"services": {"sqs": "running", "s3": "available", "kms": "disabled"}}
    assert ls.missing_services(document, ("sqs", "s3", "kms", "iam")) == ["kms", "iam"]
    assert ls.missing_services({}, ("sqs",)) == ["sqs"]


@pytest.mark.unit
def test_local_aws_env_points_at_the_endpoint() -> None:
    env = ls.local_aws_env("http://127.0.0.1:4566")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")


@pytest.mark.integration
def test_a_second_ensure_uses_the_running_localstack(localstack: str) -> None:
    assert ls.ensure_localstack(localstack, timeout=10.0) is None
