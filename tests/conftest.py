"""Session-wide fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.localstack import DEFAULT_ENDPOINT, ensure_localstack, local_aws_env


@pytest.fixture(scope="session")
def localstack() -> Iterator[str]:
    """A LocalStack endpoint, with boto3's environment pointed at it for the session.

    Uses a LocalStack that is already running (Docker image, `ango-batch localstack start`) and
    stops at the end only one that this fixture started.
    """
    started = ensure_localstack(DEFAULT_ENDPOINT)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
                patch.delenv(name, raising=False)
            for name, value in local_aws_env(DEFAULT_ENDPOINT).items():
                patch.setenv(name, value)
            yield DEFAULT_ENDPOINT
    finally:
        if started is not None:
            started.stop()
