"""Command-line checks that must hold before anything starts."""

from __future__ import annotations

import pytest

from infra.cli import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("grace", ["0", "110.5", "200", "soon"])
def test_a_worker_grace_outside_1_to_110_seconds_is_refused(
    grace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["work", "--grace", grace])
    assert exited.value.code == 2
    assert "--grace" in capsys.readouterr().err
