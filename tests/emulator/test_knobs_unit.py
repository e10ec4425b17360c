"""Bool and delay knobs through `Knobs.update`, the CLI flags and `run_emulator`'s flag rendering."""

from __future__ import annotations

from typing import Any

import pytest

from infra.emulator.cli import build_parser
from infra.emulator.knobs import Knobs, knob_types
from infra.emulator.process import knob_args

pytestmark = pytest.mark.unit


def test_new_knobs_and_their_defaults() -> None:
    knobs = Knobs()
    assert (knobs.import_fault_after_apply, knobs.import_ack_delay_ms) == (True, 0.0)
    assert knob_types()["import_fault_after_apply"] is bool


def test_bool_knobs_take_json_bools_only() -> None:
    knobs = Knobs()
    knobs.update({"import_fault_after_apply": False, "import_ack_delay_ms": 250})
    assert (knobs.import_fault_after_apply, knobs.import_ack_delay_ms) == (False, 250.0)
    bad: list[dict[str, Any]] = [
        {"import_fault_after_apply": "false"},
        {"import_fault_after_apply": 0},
        {"import_fault_after_apply": None},
        {"import_ack_delay_ms": True},  # a bool is not a number of milliseconds
        {"import_ack_delay_ms": -1},
    ]
    for change in bad:
        with pytest.raises(ValueError):
            knobs.update(change)
    assert (knobs.import_fault_after_apply, knobs.import_ack_delay_ms) == (False, 250.0)


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("false", False)])
def test_cli_bool_flag(text: str, expected: bool) -> None:
    args = build_parser().parse_args(["--import-fault-after-apply", text, "--import-ack-delay-ms", "5"])
    assert (args.import_fault_after_apply, args.import_ack_delay_ms) == (expected, 5.0)


@pytest.mark.parametrize("text", ["False", "1", "yes", ""])
def test_cli_bool_flag_refuses_anything_else(text: str) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--import-fault-after-apply", text])


def test_run_emulator_renders_bools_as_the_cli_wants_them() -> None:
    args = knob_args({"import_fault_after_apply": False, "latency_ms": 5, "import_mode": "replace"})
    assert args == ["--import-fault-after-apply", "false", "--latency-ms", "5", "--import-mode", "replace"]
    assert build_parser().parse_args(args).import_fault_after_apply is False


def test_signing_and_rate_limit_knobs() -> None:
    knobs = Knobs()
    assert (knobs.signed_url_ttl_s, knobs.rate_limit, knobs.rate_limit_requests) == (600.0, False, 100)
    assert (knobs.rate_limit_window_s, knobs.rate_limit_retry_after) == (60.0, False)
    knobs.update({"rate_limit": True, "rate_limit_requests": 5, "rate_limit_window_s": 1.5})
    assert (knobs.rate_limit, knobs.rate_limit_requests, knobs.rate_limit_window_s) == (True, 5, 1.5)
    bad: list[dict[str, Any]] = [
        {"signed_url_ttl_s": 0},
        {"rate_limit_requests": 0},
        {"rate_limit_requests": 2.5},
        {"rate_limit_window_s": -1},
        {"rate_limit": 1},
        {"rate_limit_retry_after": "true"},
    ]
    for change in bad:
        with pytest.raises(ValueError):
            knobs.update(change)
    args = build_parser().parse_args(["--rate-limit", "true", "--signed-url-ttl-s", "2.5"])
    assert (args.rate_limit, args.signed_url_ttl_s, args.rate_limit_retry_after) == (True, 2.5, None)
