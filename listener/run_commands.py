"""The operator's commands for watching and steering runs: `runs`, `status`, `cancel` and `retry`
(`report`, which draws pictures, is the handler's: handler/report.py). They read and write the
ledger and the queues only; no API key is ever decrypted."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from handler.contract.run_state import STATES


def add_run_commands(commands: Any) -> None:
    runs = commands.add_parser("runs", help="recent runs, newest first")
    runs.add_argument("--project", help="only runs on this project")
    runs.add_argument("--state", choices=STATES, help="only runs in this state")
    runs.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    runs.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    runs.set_defaults(func=runs_command)
    status = commands.add_parser("status", help="one run: progress, ETA, failures, where the time went")
    status.add_argument("run_id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=status_command)
    cancel = commands.add_parser("cancel", help="stop a run: its jobs stop at their next batch")
    cancel.add_argument("run_id")
    cancel.set_defaults(func=cancel_command)
    retry = commands.add_parser("retry", help="queue a finished run's failed and unprocessed assets again")
    retry.add_argument("run_id")
    retry.set_defaults(func=retry_command)


def _ledger() -> Any:
    from handler.contract.aws import make_clients
    from handler.contract.ledger import Ledger
    from handler.contract.stack_outputs import resolve_settings

    return Ledger.of(resolve_settings(), make_clients())


def runs_command(args: argparse.Namespace) -> int:
    from handler.contract.run_view import recent_rows

    rows = recent_rows(_ledger(), args.limit, args.project, args.state)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(
        _table_line(("RUN", "PROJECT", "BY", "STATE", "LABELED/SELECTED", "FAILED", "STARTED (UTC)", "TOOK"))
    )
    for row in rows:
        labeled = f"{row['labeled']}/{'?' if row['selected'] is None else row['selected']}"
        cells = (row["run_id"], row["project_id"], row["run_by"], row["state"], labeled, str(row["failed"]))
        print(_table_line((*cells, _clock(row["started_at"]), _duration(row["duration_seconds"]))))
    return 0


def status_command(args: argparse.Namespace) -> int:
    from handler.contract.run_view import RunView, UnknownRun

    try:
        status = RunView.read(_ledger(), args.run_id).status()
    except UnknownRun as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps(status, indent=2) if args.json else "\n".join(status_lines(status)))
    return 0


def status_lines(s: dict[str, Any]) -> list[str]:
    to_label = "?" if s["to_label"] is None else s["to_label"]
    percent = f" ({100 * s['done'] // max(1, s['to_label'])}%)" if s["to_label"] else ""
    lines = [
        f"run {s['run_id']}  project {s['project_id']}  by {s['run_by']}  {s['state']}",
        f"started {_clock(s['started_at'])}, {_duration(s['duration_seconds'])}",
        f"progress: {s['done']} of {to_label} assets to label{percent}: {s['labeled']} pre-labeled "
        f"({s['objects']} objects), {s['empty']} empty, {s['failed']} failed, "
        f"{s['not_processed']} not processed; {s['skipped']} skipped",
        f"jobs: {s['jobs_done']} of {s['jobs_planned'] if s['jobs_planned'] is not None else '?'} done"
        + (f"; ETA about {_duration(s['eta_seconds'])}" if s["eta_seconds"] is not None else ""),
        "time, summed over jobs: " + ", ".join(f"{k} {v:.1f} s" for k, v in s["seconds"].items()),
    ]
    if s["final"]:
        lines.append(f"answered: {s['final']}")
    lines.append(f"failures ({len(s['failures'])}):")
    lines += [f"  {f['external_id']}: {f['reason']}" for f in s["failures"]]
    return lines


def cancel_command(args: argparse.Namespace) -> int:
    from listener.run_control import ControlRefused, cancel_run

    try:
        print(cancel_run(_ledger(), args.run_id))
    except ControlRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def retry_command(args: argparse.Namespace) -> int:
    from handler.contract.aws import make_clients
    from handler.contract.ledger import Ledger
    from handler.contract.queues import MessageQueue
    from handler.contract.stack_outputs import resolve_settings
    from listener.run_control import ControlRefused, retry_run

    settings, clients = resolve_settings(), make_clients()
    jobs, status = (
        MessageQueue(clients.sqs, url) for url in (settings.job_queue_url, settings.status_queue_url)
    )
    try:
        print(retry_run(Ledger.of(settings, clients), jobs, status, args.run_id).sentence(args.run_id))
    except ControlRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


_WIDTHS = (32, 24, 20, 9, -16, -6, 16, 0)  # negative: right-aligned


def _table_line(cells: tuple[str, ...]) -> str:
    return "  ".join(
        cell[:width].ljust(width) if width > 0 else cell.rjust(-width)
        for cell, width in zip(cells, _WIDTHS, strict=True)
    ).rstrip()


def _clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
