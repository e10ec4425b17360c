"""Run the emulator as a subprocess for a `with` block, and always take it down afterwards."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .cli import READY_PREFIX
from .control import EmulatorControl

logger = logging.getLogger(__name__)

_REPO_ROOT = Path(__file__).resolve().parents[2]
_TAIL_LINES = 60


class EmulatorStartError(RuntimeError):
    """The emulator did not say it was ready in time; the message ends with its last output."""


class _OutputTail:
    """Drains the child's output on a thread (so its pipe never fills) and keeps the last lines."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self.url: str | None = None
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            if self.url is None and line.startswith(READY_PREFIX):
                self.url = line[len(READY_PREFIX) :].strip()
                self.ready.set()
        self.ready.set()  # EOF: the child is gone; wake the waiter

    def text(self) -> str:
        return "\n".join(self.lines)


def knob_args(knobs: dict[str, Any]) -> list[str]:
    """`{"latency_ms": 5, "import_fault_after_apply": False}` →
    `["--latency-ms", "5", "--import-fault-after-apply", "false"]` (the CLI wants lower-case bools)."""
    args: list[str] = []
    for name, value in knobs.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        args += [f"--{name.replace('_', '-')}", text]
    return args


@contextlib.contextmanager
def run_emulator(
    seed: str = "demo", port: int = 0, ready_timeout: float = 60.0, **knobs: Any
) -> Iterator[EmulatorControl]:
    """Start `python -m infra.emulator`, yield a client for it, then SIGTERM it (SIGKILL if stuck)."""
    command = [sys.executable, "-m", "infra.emulator", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--seed", seed, *knob_args(knobs)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        command, cwd=_REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    control: EmulatorControl | None = None
    try:
        assert child.stdout is not None  # guaranteed by stdout=PIPE
        tail = _OutputTail(child.stdout)
        control = EmulatorControl(_wait_ready(child, tail, ready_timeout))
        yield control
    finally:
        if control is not None:
            control.close()
        stop_process(child)


def _wait_ready(child: subprocess.Popen[str], tail: _OutputTail, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not tail.ready.wait(timeout=0.1):
        if time.monotonic() > deadline:
            raise EmulatorStartError(f"emulator not ready after {timeout:.0f}s; output:\n{tail.text()}")
    if tail.url is None:
        child.wait(timeout=5)
        raise EmulatorStartError(f"emulator exited with code {child.returncode}; output:\n{tail.text()}")
    logger.info("emulator ready at %s (pid %d)", tail.url, child.pid)
    return tail.url


def stop_process(child: subprocess.Popen[Any], grace_s: float = 5.0) -> int:
    """SIGTERM, wait `grace_s`, then SIGKILL; returns the exit code."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            logger.warning("pid %d ignored SIGTERM; killing it", child.pid)
            child.kill()
            child.wait(timeout=grace_s)
    if child.stdout is not None:
        child.stdout.close()
    return child.returncode
