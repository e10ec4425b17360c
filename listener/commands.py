"""The listener's commands: `listen`, `redrive` (the dead-letter queue), `check` and `plugin-info`;
and, from listener/run_commands.py, `runs`, `status`, `cancel`, `retry` and `report`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import ValidationError

from handler.contract.aws import make_clients
from handler.contract.ledger import Ledger
from handler.contract.model import load_model_spec
from handler.contract.process import configure_observability, stop_on_signals
from handler.contract.queues import MessageQueue
from handler.contract.run_config import default_config_json
from handler.contract.settings import Settings
from handler.contract.stack_outputs import resolve_settings
from listener.mapping import what_fills
from listener.run_commands import add_run_commands


def add_listener_commands(commands: Any) -> None:
    commands.add_parser("listen", help="hold the plugin socket; turn runs into SQS jobs").set_defaults(
        func=listen
    )
    redrive_help = "send dead-lettered jobs back to the job queue"
    commands.add_parser("redrive", help=redrive_help).set_defaults(func=redrive)
    info = commands.add_parser("plugin-info", help="print the Class Names and Default Config JSON")
    info.set_defaults(func=plugin_info)
    check_help = "check Ango Hub, the AWS resources and the model; say what to fix"
    check = commands.add_parser("check", help=check_help)
    check.add_argument(
        "--heartbeat",
        action="store_true",
        help="also present the plugin's ID and Secret in a heartbeat (while connected, about a second, "
        "Hub may send this check a run, which would be lost: not while users run the plugin)",
    )
    check.set_defaults(func=check_command)
    add_run_commands(commands)


def listen(args: argparse.Namespace) -> int:
    from listener.service import Listener

    configure_observability("listener")
    Listener(resolve_settings()).run(stop_on_signals())
    return 0


def redrive(args: argparse.Namespace) -> int:
    from listener.dead_letters import redrive as send_back

    configure_observability("listener")
    settings, clients = resolve_settings(), make_clients()
    if not settings.job_dlq_url:
        print("ANGO_BATCH_JOB_DLQ_URL is not set (and no stack output gives it)", file=sys.stderr)
        return 2
    jobs = MessageQueue(clients.sqs, settings.job_queue_url)
    from_queue, from_ledger = send_back(clients.sqs, settings.job_dlq_url, jobs, Ledger.of(settings, clients))
    print(f"redrove {from_queue} jobs from the dead-letter queue and {from_ledger} parked in the ledger")
    return 0


def plugin_info(args: argparse.Namespace) -> int:
    spec = load_model_spec(Settings().model_name)
    print("Class Names (paste each line below as it is, one class per line):")
    for name in spec.classes:
        print(name)
    print("\nWhat each class gives, and what to map it to in your project:")
    for name, kind in spec.classes.items():
        print(f"  {name}: {kind} -> {what_fills(kind)}")
        if name in spec.nested:
            print(
                f"    (about each {spec.nested[name]!r} object: a classification nested in the tool "
                f"{spec.nested[name]!r} is mapped to; left unmapped, that tool's only one that fits)"
            )
    print("\nDefault Config JSON:")
    print(default_config_json(spec))
    return 0


def check_command(args: argparse.Namespace) -> int:
    from listener.preflight import run_checks

    try:
        settings = resolve_settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"FAIL  settings: {error['msg']}")
        return 1
    except Exception as exc:  # e.g. no stack to read queue URLs from
        print(f"FAIL  settings: {type(exc).__name__}: {exc}")
        return 1
    checks = run_checks(settings, make_clients(), heartbeat=args.heartbeat)
    for check in checks:
        print(check.line(), flush=True)
    return 0 if all(check.ok for check in checks) else 1
