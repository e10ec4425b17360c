"""The local tools of `ango-batch`, available in a checkout: `demo`, `up`, `localstack`, `emulator`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

PASS_THROUGH = frozenset({"up", "localstack", "emulator"})  # their own parsers take the arguments


def add_dev_commands(commands: Any) -> None:
    demo = commands.add_parser("demo", help="the local demo: LocalStack, emulator, listener, workers")
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--out", default="out", help="folder for the picture of a labeled asset")
    demo.add_argument(
        "--model", default="haar", choices=("haar", "ocr"), help="haar: faces; ocr: pictures of text"
    )
    demo.set_defaults(func=_demo)
    for name, help_text in {
        "up": "deploy template.yaml to LocalStack (compute left out) and print its outputs",
        "localstack": "start|stop|status the local LocalStack (host mode)",
        "emulator": "run the local Ango Hub emulator",
    }.items():
        commands.add_parser(name, help=help_text, add_help=False).set_defaults(func=_delegate(name))


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


def _demo(args: argparse.Namespace) -> int:
    from infra.demo import run_demo

    return run_demo(workers=args.workers, out_dir=args.out, model=args.model)
