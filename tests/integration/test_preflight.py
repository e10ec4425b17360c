"""`ango-batch check` (listener/preflight.py) against the emulator and a LocalStack stack: every part
reachable says so; each broken part fails with what to fix."""

from __future__ import annotations

import pytest

from handler.contract.aws import make_clients
from handler.contract.settings import Settings
from infra import demo_data
from infra.emulator.control import EmulatorControl
from listener.preflight import run_checks

pytestmark = pytest.mark.integration


def test_everything_reachable_is_ok_and_the_heartbeat_reaches_hub(
    settings: Settings, emulator: EmulatorControl
):
    checks = run_checks(settings, make_clients(), heartbeat=True)
    assert [c.name for c in checks if not c.ok] == [], [c.line() for c in checks]
    assert len(checks) == 8  # REST, socket, three queues, bucket, key, model
    assert emulator.plugin(demo_data.PLUGIN_ID)["heartbeatCount"] >= 1  # Hub took the ID and Secret


def test_each_broken_part_fails_with_what_to_fix(settings: Settings):
    broken = settings.model_copy(
        update={
            "ango_host": "http://no-such-host.invalid",
            "ledger_bucket": "no-such-bucket-4b1d",
            "job_dlq_url": "",
            "model_name": "no_such_module.model",
        }
    )
    failed = {c.name: c.detail for c in run_checks(broken, make_clients()) if not c.ok}
    assert "DNS lookup of http://no-such-host.invalid failed" in failed["Ango Hub REST API"]
    assert "DNS lookup" in failed["Ango Hub plugin socket"]
    assert "check the name and this role's permissions" in failed["ledger bucket"]
    assert "not set" in failed["job dead-letter queue"]
    assert "does not load" in failed["model 'no_such_module.model'"]
    assert set(failed) == {
        "Ango Hub REST API",
        "Ango Hub plugin socket",
        "ledger bucket",
        "job dead-letter queue",
        "model 'no_such_module.model'",
    }
