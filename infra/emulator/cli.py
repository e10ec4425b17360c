"""`python -m infra.emulator` / `ango-batch emulator`: serve the emulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from .app import EmulatorServer
from .knobs import Knobs, knob_types
from .seed import load_named_seed

logger = logging.getLogger(__name__)

READY_PREFIX = "EMULATOR_URL="
_BOOL_FLAGS = {"true": True, "false": False}


def parse_bool_flag(text: str) -> bool:
    """`true` / `false` only: argparse's `type=bool` would read "false" as True."""
    if text not in _BOOL_FLAGS:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return _BOOL_FLAGS[text]


def _flag_type(kind: type) -> Callable[[str], Any]:
    return parse_bool_flag if kind is bool else kind


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ango-hub-emulator", description="A local Ango Hub for tests and demos."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--seed",
        default="demo",
        help="demo | bench:<n_assets> | bench-ocr:<n_assets> | empty | path/to/spec.json",
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL for asset links (default: the bind address)"
    )
    parser.add_argument("--log-level", default="INFO")
    for name, kind in knob_types().items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=_flag_type(kind), default=None)
    return parser


def _knobs(args: argparse.Namespace) -> Knobs:
    knobs = Knobs()
    knobs.update({name: getattr(args, name) for name in knob_types() if getattr(args, name) is not None})
    return knobs


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        knobs = _knobs(args)
    except ValueError as exc:
        logger.error("bad knob: %s", exc)
        return 2
    server = EmulatorServer(load_named_seed(args.seed), knobs, args.host, args.port, args.public_url)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    print(f"{READY_PREFIX}{server.base_url}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
