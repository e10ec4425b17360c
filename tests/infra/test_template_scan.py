"""checkov finds nothing in template.yaml, and every check it is told to skip says why.

checkov evaluates the template's conditions with the parameters' defaults and scans only what
that deploy creates, so the template is scanned once per ComputeMode (defaults rewritten in copies)
to cover the Lambda function, the ECS workers and the listener alike."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.cfn import ROOT, TEMPLATE, load_template

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
MODE_DEFAULT = "  ComputeMode:\n    Type: String\n    Default: lambda\n"


def _variants(directory: Path) -> None:
    text = TEMPLATE.read_text()
    assert MODE_DEFAULT in text
    for mode in ("lambda", "ecs", "none"):
        (directory / f"template-{mode}.yaml").write_text(
            text.replace(MODE_DEFAULT, MODE_DEFAULT.replace("lambda", mode))
        )


def _scan(directory: Path) -> dict[str, Any]:
    # --skip-download: no fetching of guidelines or external checks (offline, no API key).
    command = [str(CHECKOV), "-d", str(directory), "--framework", "cloudformation", "-o", "json"]
    result = subprocess.run([*command, "--skip-download"], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report  # type: ignore[no-any-return]


@pytest.mark.integration  # runs a scanner from its own virtual environment
@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov not installed: run `make .venv-checkov/.installed`")
def test_checkov_finds_nothing_and_every_skip_has_a_reason(tmp_path: Path) -> None:
    _variants(tmp_path)
    report = _scan(tmp_path)
    results, summary = report["results"], report["summary"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results.get("failed_checks", [])]
    assert summary["failed"] == 0 and not failed, failed
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0
    for check in results.get("skipped_checks", []):
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        assert comment.strip(), (check["check_id"], check["resource"])
    print(f"\n[checkov {summary['checkov_version']}] {summary['passed']} passed, 0 failed, "
          f"{summary['skipped']} skipped over {summary['resource_count']} resources in 3 modes")  # fmt: skip


@pytest.mark.unit
def test_every_skip_in_the_template_names_a_check_and_a_reason() -> None:
    skips = 0
    for name, resource in load_template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"].startswith(("CKV_", "CKV2_")), name
            assert str(skip.get("comment", "")).strip(), (name, skip["id"])
            skips += 1
    assert skips  # the template does skip some: this loop must have looked at them
