"""Two worker processes on one API key share its Hub budget through the ledger's bucket on LocalStack.

The emulator limits the key to 24 calls per 12 s (120 a minute, counted over a window shorter than
the test) and both processes are told ANGO_REQUESTS_PER_MINUTE=120; each runs two threads making
Hub calls as fast as its pacing allows. Sharing the table they use at least 90% of the budget,
with under 1% of their calls answered 429; each on its own (no table) they ask for twice the
budget and run into the limit. `pytest -s` prints both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.rate_limit import key_fingerprint
from infra.localstack import local_aws_env
from infra.stack import StackOutputs

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LIMIT, WINDOW_S = 24, 12.0
PER_MINUTE = LIMIT * 60 / WINDOW_S
PROCESSES, THREADS = 2, 2
START_DELAY_S = 4.0  # every caller has imported what it needs by then


@dataclass(frozen=True)
class Figures:
    requests: int  # every call the emulator saw on the key, refused ones included
    throttled: int
    seconds: float  # from the common start to the last call's answer
    logs: str

    @property
    def served(self) -> int:
        return self.requests - self.throttled

    @property
    def budget_used(self) -> float:
        return self.served / (PER_MINUTE / 60 * self.seconds)

    def line(self, how: str) -> str:
        asked = self.requests / self.seconds * 60
        return (
            f"{how}: {self.requests} calls in {self.seconds:.1f} s ({asked:.0f} a minute), {self.throttled} "
            f"answered 429 ({self.throttled / self.requests:.1%}); {self.served} served = "
            f"{self.budget_used:.0%} of {PER_MINUTE:g} a minute"
        )


@pytest.fixture(scope="module")
def budget_env(localstack: str, stack: StackOutputs) -> Iterator[dict[str, str]]:
    """A worker's environment: LocalStack, the local stack's ledger bucket and key (where the
    shared budget lives), and the key's budget."""
    yield {
        **local_aws_env(localstack),
        "ANGO_BATCH_LEDGER_BUCKET": stack.ledger_bucket,
        "ANGO_BATCH_KMS_KEY_ID": stack.kms_key_arn,
        "ANGO_REQUESTS_PER_MINUTE": f"{PER_MINUTE:g}",
    }


def _run_callers(emulator: EmulatorControl, env: dict[str, str], seconds: float, cut_off: bool) -> Figures:
    """Figures of PROCESSES callers running for `seconds`; with `cut_off`, as they stand then (the
    callers are killed instead of finishing the calls they are waiting to make)."""
    emulator.reset_stats()  # every key's window starts empty
    emulator.configure(rate_limit=True, rate_limit_requests=LIMIT, rate_limit_window_s=WINDOW_S)
    start = time.time() + START_DELAY_S
    command = [
        sys.executable,
        "-m",
        "tests.integration.hub_caller",
        f"{start:.3f}",
        f"{seconds:g}",
        str(THREADS),
    ]
    full_env = {**os.environ, **env, "ANGO_HOST": emulator.base_url, "PYTHONUNBUFFERED": "1"}
    callers = [
        subprocess.Popen(
            command, env=full_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    try:
        if cut_off:
            time.sleep(max(0.0, start + seconds - time.time()))
            counts = emulator.rate_limit_stats()[key_fingerprint(demo_data.API_KEY)]
            return Figures(counts["requests"], counts["throttled"], seconds, "")
        outputs = [caller.communicate(timeout=START_DELAY_S + seconds + 60) for caller in callers]
    finally:
        for caller in callers:
            caller.kill()
            caller.communicate()
        emulator.configure(rate_limit=False)
    logs = "\n".join(err for _, err in outputs)
    assert all(caller.returncode == 0 for caller in callers), logs[-3000:]
    last = max(json.loads(out.splitlines()[-1])["last"] for out, _ in outputs)
    counts = emulator.rate_limit_stats()[key_fingerprint(demo_data.API_KEY)]
    return Figures(counts["requests"], counts["throttled"], last - start, logs)


def test_two_processes_on_one_key_share_its_budget(
    emulator: EmulatorControl, budget_env: dict[str, str]
) -> None:
    shared = _run_callers(emulator, budget_env, seconds=20.0, cut_off=False)
    print(f"\n[hub budget] {PROCESSES} processes x {THREADS} threads, {PER_MINUTE:g} a minute; "
          + shared.line("one shared budget"))  # fmt: skip
    assert "Hub budget store unreachable" not in shared.logs  # they did share it
    assert shared.throttled < 0.01 * shared.requests, shared.line("shared")
    assert shared.budget_used >= 0.90, shared.line("shared")


def test_each_on_its_own_they_run_into_the_limit(
    emulator: EmulatorControl, budget_env: dict[str, str]
) -> None:
    alone = _run_callers(
        emulator, {**budget_env, "ANGO_BATCH_SHARED_HUB_BUDGET": "false"}, seconds=8.0, cut_off=True
    )
    print("\n[hub budget] " + alone.line("each process on its own"))
    assert alone.throttled > 0  # the shared test above is no foregone conclusion
