"""A run record for tests that need one and care about few of its fields."""

from __future__ import annotations

from typing import Any

from handler.contract.records import RunRecord


def run_record(run_id: str = "run1", **fields: Any) -> RunRecord:
    values: dict[str, Any] = {
        "run_id": run_id,
        "session": f"session-{run_id}",
        "plugin_id": "plugin",
        "project_id": "project",
        "org_id": "org",
        "run_by": "user",
        "batches": (),
        "targets": (),
        "config": {},
        "api_key_ciphertext": "",
        "accepted_at": 0.0,
    }
    return RunRecord(**{**values, **fields})
