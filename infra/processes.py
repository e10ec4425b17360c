"""The adapter's own processes on one machine: one listener and N workers, as a user would run
them, each a separate `ango-batch` process with its output in a log file. Used by the demo, the
integration tests and the benchmark; every process is stopped on exit, whatever happens."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from handler.contract.stack_outputs import StackOutputs
from infra.emulator.process import stop_process

LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128"
UNLIMITED_REQUESTS_PER_MINUTE = "60000"


def adapter_env(
    outputs: StackOutputs,
    ango_host: str,
    plugin_id: str,
    plugin_secret: str,
    aws_env: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a deployed listener or worker would get, pointed at local endpoints."""
    return {
        **os.environ,
        **aws_env,
        "ANGO_HOST": ango_host,
        "ANGO_PLUGIN_ID": plugin_id,
        "ANGO_PLUGIN_SECRET": plugin_secret,
        "ANGO_BATCH_JOB_QUEUE_URL": outputs.job_queue_url,
        "ANGO_BATCH_STATUS_QUEUE_URL": outputs.status_queue_url,
        "ANGO_BATCH_JOB_DLQ_URL": outputs.job_dlq_url,
        "ANGO_BATCH_LEDGER_BUCKET": outputs.ledger_bucket,
        "ANGO_BATCH_KMS_KEY_ID": outputs.kms_key_arn,
        # The emulator serves assets on loopback, which downloads refuse unless allowed.
        "ANGO_BATCH_ALLOWED_ASSET_NETWORKS": LOOPBACK_NETWORKS,
        # The emulator limits no key unless a test turns its rate limit on: the adapter is given a
        # matching budget. Tests of the limit pass the default (100) back in `extra`.
        "ANGO_REQUESTS_PER_MINUTE": UNLIMITED_REQUESTS_PER_MINUTE,
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


@dataclass
class AdapterProcesses:
    env: dict[str, str]
    log_dir: Path
    entry: str = "listener.cli"  # the module run with `python -m`: the `ango-batch` command
    listener: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_listener(self) -> subprocess.Popen[bytes]:
        self.listener = self._spawn("listener", ["listen"])
        return self.listener

    def start_worker(self, concurrency: int = 2, grace: float = 30.0) -> subprocess.Popen[bytes]:
        args = ["work", "--concurrency", str(concurrency), "--grace", str(grace)]
        worker = self._spawn(f"worker-{len(self.workers)}", args)
        self.workers.append(worker)
        return worker

    def all(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in [self.listener, *self.workers] if p is not None]

    def log_text(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", self.entry, *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


@contextlib.contextmanager
def adapter_processes(env: dict[str, str], log_dir: Path) -> Iterator[AdapterProcesses]:
    processes = AdapterProcesses(env=env, log_dir=log_dir)
    try:
        yield processes
    finally:
        # SIGTERM to all first, so their shutdowns overlap, then wait for each (SIGKILL if stuck).
        for process in processes.all():
            if process.poll() is None:
                process.terminate()
        for process in processes.all():
            stop_process(process, grace_s=15.0)
