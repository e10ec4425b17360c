"""Command-line checks that must hold before anything starts."""

from __future__ import annotations

import pytest

from handler.cli import main as work_main
from listener.cli import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("entry", [main, work_main])  # `ango-batch work` and the image's own entry
@pytest.mark.parametrize("grace", ["0", "110.5", "200", "soon"])
def test_a_worker_grace_outside_1_to_110_seconds_is_refused(
    entry: object, grace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        entry(["work", "--grace", grace])  # type: ignore[operator]
    assert exited.value.code == 2
    assert "--grace" in capsys.readouterr().err


def test_the_console_script_dispatches_to_each_part(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in (
        "listen",
        "redrive",
        "check",
        "plugin-info",
        "work",
        "demo",
        "up",
        "localstack",
        "emulator",
    ):
        assert command in listed


def test_plugin_info_prints_what_each_class_fills_nested_answers_included(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANGO_BATCH_MODEL", "ocr")
    main(["plugin-info"])
    said = capsys.readouterr().out
    assert "text-line\ntext\n" in said  # the Class Names to paste
    assert (
        "text-line: rotated-bounding-box -> a rotated-bounding-box or polygon or bounding-box or pdf tool"
        in said
    )
    assert "text: text -> a text classification\n    (about each 'text-line' object" in said
    assert '"min_text_score": 0.5' in said
