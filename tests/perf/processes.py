"""Child processes of the benchmark: stopped all at once, so idle long polls overlap."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

POLL_SECONDS = 0.1
_STARTED = time.monotonic()


def stop_all(processes: Sequence[subprocess.Popen[Any]], grace: float) -> None:
    """SIGTERM every process, give them `grace` seconds together, then SIGKILL what is left.

    An idle worker sits in a 20 s SQS long poll and stops only when it returns; stopping them one
    after another (as infra.processes does) would add those waits up.
    """
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def say(message: str) -> None:
    """A progress line on stderr, with the minutes since the benchmark began."""
    print(f"[bench {(time.monotonic() - _STARTED) / 60:4.1f} min] {message}", file=sys.stderr, flush=True)
