"""`ango-batch`: the one command line. It only dispatches: each command lives with the code it runs
(`listen`, `redrive`, `check`, `plugin-info`, `runs`, `status`, `cancel`, `retry` in listener/;
`work` and `report` in handler/; and, in a checkout, the local tools `demo`, `up`, `localstack` and
`emulator` in infra/)."""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from handler.cli import add_report_command, add_work_command
from listener.commands import add_listener_commands

DEV_COMMANDS = ("demo", "up", "localstack", "emulator")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ango-batch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_listener_commands(commands)
    add_work_command(commands)
    add_report_command(commands)
    dev = _dev_tools()
    if dev is not None:
        dev.add_dev_commands(commands)
    args, rest = parser.parse_known_args(argv)
    if dev is not None and args.command in dev.PASS_THROUGH:
        return int(args.func(rest))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.func(args))


def _dev_tools() -> ModuleType | None:
    """infra/ (LocalStack, the emulator, the demo) ships in a checkout, not in the images."""
    try:
        from infra import cli
    except ImportError:
        return None
    return cli


if __name__ == "__main__":
    sys.exit(main())
