"""`ango-batch`: the one command line for running, deploying and trying the adapter."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from handler.settings import Settings

logger = logging.getLogger("ango_batch")
DEFAULT_STACK = "ango-batch-local"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in {"emulator", "localstack", "up"}:
        return int(args.func(rest))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.func(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ango-batch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listen = commands.add_parser("listen", help="hold the plugin socket; turn runs into SQS jobs")
    listen.set_defaults(func=_listen)

    work = commands.add_parser("work", help="container worker: long-poll the job queue and run jobs")
    work.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    work.add_argument("--concurrency", type=int, default=2, help="jobs at once (default 2)")
    work.add_argument(
        "--grace",
        type=_grace_seconds,
        default=60.0,
        help="seconds to finish jobs on SIGTERM before releasing them, 1-110 (default 60); the process "
        "exits within it, so keep it under the platform's stop timeout (ECS: 120 s at most)",
    )
    work.set_defaults(func=_work)

    redrive = commands.add_parser("redrive", help="send dead-lettered jobs back to the job queue")
    redrive.set_defaults(func=_redrive)

    info = commands.add_parser("plugin-info", help="print the Class Names and Default Config JSON")
    info.set_defaults(func=_plugin_info)

    check = commands.add_parser(
        "check", help="check Ango Hub, the AWS resources and the model; say what to fix"
    )
    check.add_argument(
        "--heartbeat",
        action="store_true",
        help="also present the plugin's ID and Secret in a heartbeat (while connected, about a second, "
        "Hub may send this check a run, which would be lost: not while users run the plugin)",
    )
    check.set_defaults(func=_check)

    demo = commands.add_parser("demo", help="the local demo: LocalStack, emulator, listener, workers")
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--out", default="out", help="folder for the picture of a labeled asset")
    demo.set_defaults(func=_demo)

    for name, help_text in {
        "up": "deploy template.yaml to LocalStack (compute left out) and print its outputs",
        "localstack": "start|stop|status the local LocalStack (host mode)",
        "emulator": "run the local Ango Hub emulator",
    }.items():
        commands.add_parser(name, help=help_text, add_help=False).set_defaults(func=_delegate(name))
    return parser


def _grace_seconds(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 110:
        raise argparse.ArgumentTypeError("must be between 1 and 110 seconds")
    return value


def _delegate(name: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        if name == "up":
            from infra.stack import main as stack_main

            return stack_main(argv)
        if name == "localstack":
            from infra.localstack import main as localstack_main

            return localstack_main(argv)
        from infra.emulator.cli import main as emulator_main

        return emulator_main(argv)

    return run


def resolve_settings() -> Settings:
    """Settings from the environment; queue URLs and the bucket from the stack when unset."""
    settings = Settings()
    if not settings.missing_aws_resources():  # the DLQ is optional: without it nothing is drained
        return settings
    from infra.stack import read_stack_outputs

    outputs = read_stack_outputs(os.environ.get("ANGO_BATCH_STACK_NAME", DEFAULT_STACK))
    return settings.model_copy(
        update={
            "job_queue_url": settings.job_queue_url or outputs.job_queue_url,
            "status_queue_url": settings.status_queue_url or outputs.status_queue_url,
            "job_dlq_url": settings.job_dlq_url or outputs.job_dlq_url,
            "ledger_bucket": settings.ledger_bucket or outputs.ledger_bucket,
            "kms_key_id": settings.kms_key_id or outputs.kms_key_arn,
        }
    )


def configure_logging(service: str) -> None:
    """Logs (JSON unless ANGO_BATCH_LOG_FORMAT=text, with run/job/asset ids) and the `Service`
    dimension of the metrics, for this process: `handler` or `listener`."""
    from handler import logs, telemetry

    fmt: logs.LogFormat = "text" if os.environ.get("ANGO_BATCH_LOG_FORMAT", "json") == "text" else "json"
    logs.configure_logging(f"ango-batch-{service}", fmt)
    telemetry.set_service(service)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _listen(args: argparse.Namespace) -> int:
    from listener.service import Listener

    configure_logging("listener")
    listener = Listener(resolve_settings())
    listener.run(_stop_on_signals())
    return 0


def _work(args: argparse.Namespace) -> int:
    from handler.aws import CALLS, make_clients
    from handler.deps import build_deps
    from handler.worker import Worker

    configure_logging("handler")
    clients = make_clients()
    worker = Worker(build_deps(resolve_settings(), clients), clients.sqs, args.concurrency, args.grace)
    stop = _stop_on_signals()

    def stop_worker_on_signal() -> None:
        stop.wait()
        worker.stop()

    threading.Thread(target=stop_worker_on_signal, daemon=True).start()
    summary = worker.run(burst=args.burst)
    print(summary.line(), flush=True)
    print(CALLS.line(), flush=True)
    if worker.released_running:  # jobs past the grace were released to the queue; don't wait for them
        os._exit(0)
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from handler.aws import make_clients
    from handler.dead_letters import redrive
    from handler.ledger import Ledger
    from handler.queues import MessageQueue

    configure_logging("handler")
    settings, clients = resolve_settings(), make_clients()
    if not settings.job_dlq_url:
        print("ANGO_BATCH_JOB_DLQ_URL is not set (and no stack output gives it)", file=sys.stderr)
        return 2
    ledger = Ledger(clients.s3, clients.kms, settings.ledger_bucket, settings.kms_key_id)
    jobs = MessageQueue(clients.sqs, settings.job_queue_url)
    from_queue, from_ledger = redrive(clients.sqs, settings.job_dlq_url, jobs, ledger)
    print(f"redrove {from_queue} jobs from the dead-letter queue and {from_ledger} parked in the ledger")
    return 0


def _plugin_info(args: argparse.Namespace) -> int:
    from handler.model import load_model_factory
    from handler.run_config import default_config_json

    spec = load_model_factory(Settings().model_name).spec
    print("Class Names (paste each line below as it is, one class per line):")
    for name in spec.classes:
        print(name)
    print("\nTheir shapes (map each to a project tool of that type when you run the plugin):")
    for name, kind in spec.classes.items():
        print(f"  {name}: {kind}")
    print("\nDefault Config JSON:")
    print(default_config_json(spec))
    return 0


def _check(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from handler.aws import make_clients
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


def _demo(args: argparse.Namespace) -> int:
    from infra.demo import run_demo

    return run_demo(workers=args.workers, out_dir=args.out)


if __name__ == "__main__":
    sys.exit(main())
