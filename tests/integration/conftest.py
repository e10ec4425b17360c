"""Fixtures for end-to-end tests: a stack from template.yaml on LocalStack, the Ango Hub emulator,
and the adapter's own processes (one listener, two workers), all torn down afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handler.contract.settings import Settings
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator
from infra.localstack import local_aws_env
from infra.processes import AdapterProcesses, adapter_env, adapter_processes
from infra.stack import StackOutputs, temporary_stack

TEST_PARAMETERS: dict[str, str] = {}  # the template's defaults, as `ango-batch up` deploys them


@pytest.fixture(scope="module")
def stack(localstack: str) -> Iterator[StackOutputs]:
    with temporary_stack("ango-it", TEST_PARAMETERS) as outputs:
        yield outputs


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorControl]:
    with run_emulator(seed="demo") as control:
        yield control


@pytest.fixture(scope="module")
def settings(stack: StackOutputs, emulator: EmulatorControl) -> Settings:
    return Settings(
        ANGO_HOST=emulator.base_url,
        ANGO_PLUGIN_ID=demo_data.PLUGIN_ID,
        ANGO_PLUGIN_SECRET=demo_data.PLUGIN_SECRET,
        ANGO_BATCH_JOB_QUEUE_URL=stack.job_queue_url,
        ANGO_BATCH_STATUS_QUEUE_URL=stack.status_queue_url,
        ANGO_BATCH_JOB_DLQ_URL=stack.job_dlq_url,
        ANGO_BATCH_LEDGER_BUCKET=stack.ledger_bucket,
        ANGO_BATCH_KMS_KEY_ID=stack.kms_key_arn,
        ANGO_BATCH_ALLOWED_ASSET_NETWORKS="127.0.0.0/8,::1/128",
    )


@pytest.fixture(scope="module")
def adapter(
    request: pytest.FixtureRequest,
    localstack: str,
    stack: StackOutputs,
    emulator: EmulatorControl,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AdapterProcesses]:
    """A listener and two workers; a test module's `ADAPTER_ENV` adds to their environment (e.g.
    another model)."""
    env = adapter_env(
        stack,
        emulator.base_url,
        demo_data.PLUGIN_ID,
        demo_data.PLUGIN_SECRET,
        local_aws_env(localstack),
        {"ANGO_BATCH_PROGRESS_INTERVAL_SECONDS": "0.2", **getattr(request.module, "ADAPTER_ENV", {})},
    )
    with adapter_processes(env, tmp_path_factory.mktemp("adapter-logs")) as processes:
        processes.start_listener()
        processes.start_worker(concurrency=2)
        processes.start_worker(concurrency=2)
        try:
            emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)
        except TimeoutError:
            pytest.fail("plugin never went live; listener log:\n" + processes.log_text("listener"))
        yield processes
