"""`ango-batch work` (in the handler image: `python -m handler.cli work`): the container worker; and
`ango-batch report`, which draws a run's labeled assets."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any

from handler.contract.aws import make_clients
from handler.contract.process import configure_observability, stop_on_signals
from handler.contract.queues import DEFAULT_LEASE_SECONDS
from handler.contract.stack_outputs import resolve_settings


def add_work_command(commands: Any) -> None:
    work = commands.add_parser("work", help="container worker: long-poll the job queue and run jobs")
    work.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    work.add_argument("--concurrency", type=int, default=2, help="jobs at once (default 2)")
    work.add_argument(
        "--lease",
        type=_lease_seconds,
        default=DEFAULT_LEASE_SECONDS,
        help=f"seconds each job is held, renewed while it runs; a killed worker's job is back within it "
        f"(10-900, default {DEFAULT_LEASE_SECONDS})",
    )
    work.add_argument(
        "--grace",
        type=_grace_seconds,
        default=60.0,
        help="seconds to finish jobs on SIGTERM before releasing them, 1-110 (default 60); the process "
        "exits within it, so keep it under the platform's stop timeout (ECS: 120 s at most)",
    )
    work.set_defaults(func=work_command)


def add_report_command(commands: Any) -> None:
    report = commands.add_parser("report", help="write a run's report (HTML) and store it with the run")
    report.add_argument("run_id")
    report.add_argument("--html", metavar="FILE", help="where to write it (default report-<run>.html)")
    report.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    """In the handler's room, not the listener's: it downloads and draws pictures (OpenCV)."""
    from handler.assets import AssetFetcher
    from handler.contract.ledger import Ledger
    from handler.contract.run_view import UnknownRun
    from handler.report import write_report

    settings = resolve_settings()
    path = args.html or f"report-{args.run_id}.html"
    try:
        write_report(
            Ledger.of(settings, make_clients()),
            args.run_id,
            path,
            AssetFetcher.from_settings(settings).download,
        )
    except UnknownRun as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"wrote {path}; stored as runs/{args.run_id}/report.html in the ledger")
    return 0


def work_command(args: argparse.Namespace) -> int:
    from handler.deps import build_deps  # the model and OpenCV load only for this command
    from handler.worker import Worker

    configure_observability("handler")
    clients = make_clients()
    deps = build_deps(resolve_settings(), clients)
    worker = Worker(deps, clients.sqs, args.concurrency, args.grace, args.lease)
    stop = stop_on_signals()

    def stop_worker_on_signal() -> None:
        stop.wait()
        worker.stop()

    threading.Thread(target=stop_worker_on_signal, daemon=True).start()
    summary = worker.run(burst=args.burst)
    print(summary.line(), flush=True)
    if worker.released_running:  # jobs past the grace were released to the queue; don't wait for them
        os._exit(0)
    return 0


def _lease_seconds(text: str) -> int:
    value = int(text)
    if not 10 <= value <= 900:
        raise argparse.ArgumentTypeError("must be between 10 and 900 seconds")
    return value


def _grace_seconds(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 110:
        raise argparse.ArgumentTypeError("must be between 1 and 110 seconds")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ango-batch", description=__doc__)
    add_work_command(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
