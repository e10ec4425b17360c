"""`runs`, `status` and `report` read from a real ledger (on the fakes) after real runs: rows newest
first and filtered, a run's status, and the report's figures checked against the job results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handler.contract.run_view import RunView, recent_rows
from handler.report import report_figures, write_report
from tests.functional.fakes import FakeHub
from tests.functional.world import PROJECT, World, hub_assets

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    world = World(FakeHub(hub_assets(10), PROJECT), model="tests.scored_model")
    world.storage.missing = {world.hub.assets[4].url}
    world.click_run("first", min_score=0.3)
    world.work()
    world.relay_all()
    return world


def test_runs_are_listed_newest_first_and_filtered(world: World) -> None:
    second = world.click_run("second", existing="add")
    rows = recent_rows(world.ledger, limit=10)
    assert rows[0]["run_id"] == second.run_id and len(rows) == 2
    assert [row["state"] for row in rows] == ["planning", "answered"]
    assert rows[1]["labeled"] == 9 and rows[1]["failed"] == 1 and rows[1]["selected"] == 10
    assert [r["run_id"] for r in recent_rows(world.ledger, 10, state="answered")] == [rows[1]["run_id"]]
    assert recent_rows(world.ledger, 10, project="other") == []
    assert len(recent_rows(world.ledger, limit=1)) == 1


def test_an_answered_runs_row_comes_from_its_final_record_not_from_every_job(world: World) -> None:
    (run_id,) = world.ledger.recent_run_ids()
    before = recent_rows(world.ledger, limit=1)
    s3 = world.clients.s3
    for key in [key for key in s3.objects if f"{run_id}/jobs/" in key]:  # type: ignore[attr-defined]
        s3.delete_object(Key=key)
    assert recent_rows(world.ledger, limit=1)[0]["labeled"] == before[0]["labeled"] == 9


def test_status_shows_progress_failures_and_where_the_time_went(world: World) -> None:
    (run_id,) = world.ledger.recent_run_ids()
    status = RunView.read(world.ledger, run_id).status()
    assert (status["done"], status["to_label"], status["jobs_done"], status["jobs_planned"]) == (10, 10, 3, 3)
    assert status["failures"] == [
        {"external_id": "img4.png", "reason": "the asset's host answered 404 (files.example)"}
    ]
    assert set(status["seconds"]) == {"queue wait", "download", "model", "import"}
    assert status["eta_seconds"] is None and status["final"].startswith("Pre-labeled 9 of 10 assets")
    assert status["config"]["min_score"] == 0.3


def test_the_report_figures_match_the_ledger_and_the_page_is_stored(world: World, tmp_path: Path) -> None:
    (run_id,) = world.ledger.recent_run_ids()
    results = world.ledger.list_job_results(run_id)
    figures = report_figures(RunView.read(world.ledger, run_id))
    assert (
        figures["outcomes"]
        == {
            "pre-labeled": sum(r.counts.assets_labeled for r in results),
            "nothing to label": 0,
            "failed": sum(r.counts.assets_failed for r in results),
            "skipped": 0,
            "not processed": 0,
        }
        == {"pre-labeled": 9, "nothing to label": 0, "failed": 1, "skipped": 0, "not processed": 0}
    )
    objects = sum(r.counts.objects_created for r in results)
    assert figures["classes"] == {"Object": objects} and objects == 18  # 0.9 and 0.5 kept, 0.2 below
    assert figures["score_bins"] == [0] * 5 + [9] + [0] * 3 + [9] and figures["unscored"] == 0
    assert figures["timeline"][-1][1] == 10 and len(figures["timeline"]) == len(results)
    page = tmp_path / "report.html"
    html = write_report(world.ledger, run_id, str(page), world.storage.download)
    assert page.read_text() == html == world.ledger.load_report(run_id)
    assert html.count('src="data:image/jpeg;base64,') == 4  # samples drawn, inline
    assert "img4.png" in html and "http" not in re.sub(r"xmlns=\"http://www.w3.org/2000/svg\"", "", html)


def test_a_picture_that_cannot_be_downloaded_is_left_out(world: World, tmp_path: Path) -> None:
    (run_id,) = world.ledger.recent_run_ids()

    def private(url: str) -> bytes:
        raise PermissionError("403")

    html = write_report(world.ledger, run_id, str(tmp_path / "r.html"), private)
    assert "data:image/jpeg" not in html and html.count("(no picture)") == 4


def test_the_commands_print_a_table_and_a_status(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from listener import cli, run_commands

    (run_id,) = world.ledger.recent_run_ids()
    monkeypatch.setattr(run_commands, "_ledger", lambda: world.ledger)
    assert cli.main(["runs"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["RUN", "PROJECT", "BY", "STATE"]
    assert row.split()[:6] == [run_id, "proj", "ann@example.com", "answered", "9/10", "1"]
    assert cli.main(["status", run_id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == (
        "progress: 10 of 10 assets to label (100%): 9 pre-labeled (18 objects), 0 empty, 1 failed, "
        "0 not processed; 0 skipped"
    )
    assert lines[-2:] == ["failures (1):", "  img4.png: the asset's host answered 404 (files.example)"]
    assert cli.main(["status", "no-such-run"]) == 2
