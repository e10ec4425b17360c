"""Fixtures for the emulator's tests: one emulator process per session, reset before every test."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.emulator.process import run_emulator, stop_process

SAMPLE_PLUGIN = Path(__file__).with_name("sample_plugin.py")


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorControl]:
    with run_emulator(seed="demo") as control:
        yield control


@pytest.fixture
def emu(emulator_session: EmulatorControl) -> EmulatorControl:
    """The shared emulator, back at its start-up seed and knobs."""
    emulator_session.reset()
    return emulator_session


@contextlib.contextmanager
def sample_plugin(
    host: str, plugin_id: str = demo_data.PLUGIN_ID, secret: str = demo_data.PLUGIN_SECRET
) -> Iterator[subprocess.Popen[bytes]]:
    """The docs' sample plugin in a subprocess; always killed on the way out."""
    env = {**os.environ, "CONNECTOR": "WS", "LOGLEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, str(SAMPLE_PLUGIN), host, plugin_id, secret],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield child
    finally:
        stop_process(child, grace_s=3)
