"""Planning against an in-memory Hub: batch selection, task status, reruns, census, streaming and
resuming. The fakes keep Hub's documented semantics: the assets listing's `batches` filter means
"in all", the tasks lookup by externalId spans the whole project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from handler.contract.ango import PAGE_LIMIT, AssetPage, TaskPage, TaskState
from handler.contract.chunks import job_chunks
from handler.contract.messages import (
    MAX_MESSAGE_BYTES,
    AssetRef,
    InferJob,
    PlanJob,
    RunFailed,
    RunPlanned,
    dump_message,
)
from handler.contract.model import load_model_factory
from handler.contract.records import ClassTarget, PlanCursor, RunPlan, RunRecord
from handler.contract.settings import Settings
from handler.deps import Deps
from handler.planning.planner import plan_run

pytestmark = pytest.mark.unit


def asset(
    n: int, batches=(), status="TODO", prelabeled=False, external_id=None, data=True, suffix=".jpg"
) -> dict[str, Any]:
    return {
        "_id": f"a{n}",
        "externalId": external_id or f"img{n}{suffix}",
        "data": f"https://files/{n}{suffix}" if data else None,
        "batches": list(batches),
        "status": status,
        "isPreLabeled": prelabeled,
    }


class FakeHub:
    """Both listings over the same assets, newest first as given. `task_asset` is the form of a
    task's `asset`: an object with `_id`, `externalId` and `data` (Hub's documented sample), or a
    bare id (a plausible other form, which sends planning to the assets listing)."""

    task_asset = "object"  # the autouse fixture below runs every test in both forms

    def __init__(self, assets: list[dict[str, Any]], fail_on_page: int | None = None) -> None:
        self.assets, self.fail_on_page = assets, fail_on_page
        self.pages_read: list[tuple[str | None, int]] = []  # of the listing planning reads
        self.task_pages_read = 0
        self.before_read: Callable[[int], None] = lambda reads_so_far: None

    def _read(self, page: int, batch: str | None) -> None:
        if page == self.fail_on_page:
            raise KeyboardInterrupt("killed mid-listing")  # not an error the planner handles
        self.before_read(len(self.pages_read))
        self.pages_read.append((batch, page))

    def task_page(self, project_id: str, page: int, batches: tuple[str, ...]) -> TaskPage:
        self.task_pages_read += 1
        if self.task_asset == "object":
            self._read(page, ",".join(batches) or None)
        chosen = [a for a in self.assets if not batches or set(batches) & set(a["batches"])]
        start = (page - 1) * PAGE_LIMIT
        return TaskPage(tasks=[self._task(a) for a in chosen[start : start + PAGE_LIMIT]], total=len(chosen))

    def _task(self, a: dict[str, Any]) -> dict[str, Any]:
        asset = {"_id": a["_id"], "externalId": a["externalId"], "data": a["data"]}
        return {
            "_id": "t-" + a["_id"],
            "asset": asset if self.task_asset == "object" else a["_id"],
            "status": a["status"],
            "isPreLabeled": a["isPreLabeled"],
        }

    def asset_page(self, project_id: str, page: int, batch: str | None) -> AssetPage:
        self._read(page, batch)
        chosen = [a for a in self.assets if batch is None or batch in a["batches"]]
        start = (page - 1) * PAGE_LIMIT
        shown = [{k: a[k] for k in ("_id", "externalId", "data", "batches")} for a in chosen]
        return AssetPage(assets=shown[start : start + PAGE_LIMIT], total=len(chosen))

    def task_states(self, project_id: str, external_ids: list[str]) -> list[TaskState]:
        assert len(set(external_ids)) <= PAGE_LIMIT
        return [
            TaskState(a["_id"], a["externalId"], a["status"], a["isPreLabeled"], tuple(a["batches"]))
            for a in self.assets
            if a["externalId"] in external_ids
        ]


@pytest.fixture(autouse=True, params=["object", "id"])
def task_asset(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(FakeHub, "task_asset", request.param)
    return str(request.param)


class MemoryLedger:
    def __init__(self) -> None:
        self.plan: RunPlan | None = None
        self.cursor: PlanCursor | None = None
        self.cancelled = False
        self.finished = 0  # jobs of the run with a result

    def count_job_results(self, run_id: str) -> int:
        return self.finished

    def is_cancelled(self, run_id: str) -> bool:
        return self.cancelled

    def decrypt_api_key(self, run: RunRecord) -> str:
        return "the-key"

    def load_plan(self, run_id: str) -> RunPlan | None:
        return self.plan

    def save_plan(self, run_id: str, plan: RunPlan) -> None:
        self.plan = plan

    def load_plan_cursor(self, run_id: str) -> PlanCursor | None:
        return self.cursor

    def save_plan_cursor(self, run_id: str, cursor: PlanCursor) -> None:
        self.cursor = cursor


class MemoryQueue:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.delays: list[int] = []

    def send(self, message: Any, delay_seconds: int = 0) -> None:
        self.messages.append(message)
        self.delays.append(delay_seconds)

    def send_many(self, messages: Any) -> int:
        self.messages.extend(messages)
        return len(self.messages)


def run_record(batches=(), **config: Any) -> RunRecord:
    return RunRecord(
        run_id="run1",
        session="s",
        plugin_id="p",
        project_id="proj",
        org_id="o",
        run_by="u",
        batches=tuple(batches),
        targets=(ClassTarget(model_class="Face", schema_id="box", tool="bounding-box"),),
        config=config,
        api_key_ciphertext="x",
        accepted_at=0.0,
    )


@contextmanager
def planning(
    hub: FakeHub, slice_seconds: float = 60.0, model: str = "haar", jobs_ahead: int = 16
) -> Iterator[Deps]:
    deps = Deps(
        settings=Settings(
            ANGO_BATCH_PLAN_SLICE_SECONDS=slice_seconds, ANGO_BATCH_JOBS_AHEAD_PER_RUN=jobs_ahead
        ),
        ledger=MemoryLedger(),  # type: ignore[arg-type]
        jobs=MemoryQueue(),  # type: ignore[arg-type]
        status=MemoryQueue(),  # type: ignore[arg-type]
        fetcher=None,  # type: ignore[arg-type]
        model_factory=load_model_factory(model),  # its spec says what it reads; never created here
        ango=lambda key: hub,  # type: ignore[arg-type,return-value]
    )
    yield deps


def planned(deps: Deps) -> tuple[list[InferJob], RunPlanned]:
    jobs = [m for m in deps.jobs.messages if isinstance(m, InferJob)]  # type: ignore[attr-defined]
    (event,) = deps.status.messages  # type: ignore[attr-defined]
    assert isinstance(event, RunPlanned)
    return jobs, event


def asset_ids(jobs: list[InferJob]) -> list[str]:
    return [a.asset_id for job in jobs for a in job.assets]


def test_several_batches_mean_any_of_them_each_asset_once():
    hub = FakeHub([asset(1, ["X"]), asset(2, ["Y"]), asset(3, ["X", "Y"]), asset(4, ["Z"]), asset(5)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(batches=["X", "Y"]), deps)
        jobs, event = planned(deps)
    assert sorted(asset_ids(jobs)) == ["a1", "a2", "a3"]
    assert event.total_assets == 3 and event.skipped == {}


def test_only_todo_tasks_are_queued_the_rest_counted_by_status():
    hub = FakeHub([asset(1), asset(2, status="COMPLETED"), asset(3, status="IN_PROGRESS"), asset(4)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == ["a1", "a4"]
    assert event.skipped == {"status COMPLETED": 1, "status IN_PROGRESS": 1}
    assert event.total_assets == 4


@pytest.mark.parametrize(("existing", "queued"), [("skip", ["a1"]), ("add", ["a1", "a2"])])
def test_assets_already_prelabeled_are_skipped_unless_asked(existing: str, queued: list[str]):
    hub = FakeHub([asset(1), asset(2, prelabeled=True)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(existing=existing), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == queued
    assert event.skipped == ({"already pre-labeled": 1} if existing == "skip" else {})


def test_an_external_id_shared_anywhere_in_the_project_is_addressed_by_url(task_asset: str):
    """From the tasks listing every asset is addressed by its URL (which externalIds are shared
    would cost a lookup per page); from the assets listing, whose lookup spans the project, those
    whose externalId another asset shares."""
    hub = FakeHub(
        [asset(1, ["X"], external_id="dup.jpg"), asset(2, ["W"], external_id="dup.jpg"), asset(3, ["X"])]
    )
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(batches=["X"]), deps)
        jobs, _ = planned(deps)
    by_url = {a.asset_id: a.address_by_url for job in jobs for a in job.assets}
    assert by_url == {"a1": True, "a3": task_asset == "object"}


def test_an_asset_without_a_data_url_fails_alone():
    hub = FakeHub([asset(1), asset(2, data=False)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == ["a1"]
    assert event.failed == 1 and event.failures[0].external_id == "img2.jpg"


def test_the_first_job_leaves_after_the_first_page():
    hub = FakeHub([asset(n) for n in range(250)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(job_size=128), deps)
        jobs, event = planned(deps)
    assert [len(job.assets) for job in jobs] == [100, 128, 22]
    assert [job.job_id for job in jobs] == ["000000", "000001", "000002"]
    assert asset_ids(jobs) == [f"a{n}" for n in range(250)] and event.total_jobs == 3


def test_a_killed_plan_job_resumes_from_its_last_page():
    assets = [asset(n) for n in range(450)]
    with planning(FakeHub(assets, fail_on_page=4)) as deps:
        with pytest.raises(KeyboardInterrupt):
            plan_run(PlanJob(run_id="run1"), run_record(job_size=64), deps)
        sent_before = list(deps.jobs.messages)  # type: ignore[attr-defined]
        again = FakeHub(assets)
        deps.ango = lambda key: again  # type: ignore[assignment,return-value]
        plan_run(PlanJob(run_id="run1"), run_record(job_size=64), deps)
        jobs, event = planned(deps)
    assert again.pages_read == [(None, 4), (None, 5)]  # not from page 1
    assert sent_before == jobs[: len(sent_before)]
    assert asset_ids(jobs) == [f"a{n}" for n in range(450)]  # each once
    assert event.total_assets == 450


def test_a_plan_job_out_of_time_hands_on_to_a_fresh_message():
    hub = FakeHub([asset(n) for n in range(300)])
    with planning(hub, slice_seconds=1e-9) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        assert deps.jobs.messages == [PlanJob(run_id="run1")]  # type: ignore[attr-defined]
        assert deps.status.messages == []  # type: ignore[attr-defined]


def test_a_run_keeps_at_most_its_jobs_ahead_queued_and_lists_on_as_they_finish():
    """Fair turns: with 2 jobs ahead allowed, the plan job stops listing once 2 jobs wait, comes
    back a second later, and lists on only as far as finished jobs make room."""
    hub = FakeHub([asset(n) for n in range(500)])
    run = run_record(job_size=50)
    with planning(hub, jobs_ahead=2) as deps:
        plan_run(PlanJob(run_id="run1"), run, deps)
        assert [type(m).__name__ for m in deps.jobs.messages] == ["InferJob", "InferJob", "PlanJob"]
        assert deps.jobs.delays[-1] == 1 and deps.status.messages == []  # type: ignore[attr-defined]
        plan_run(PlanJob(run_id="run1"), run, deps)  # nothing finished: no listing, back later
        assert hub.pages_read == [(None, 1)] and len(deps.jobs.messages) == 4  # type: ignore[attr-defined]
        deps.ledger.finished = 1  # type: ignore[attr-defined]
        plan_run(PlanJob(run_id="run1"), run, deps)  # room for one: one page, two jobs
        assert hub.pages_read == [(None, 1), (None, 2)]
        deps.ledger.finished = 10  # type: ignore[attr-defined]
        plan_run(PlanJob(run_id="run1"), run, deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == [f"a{n}" for n in range(500)] and event.total_assets == 500


def test_no_limit_lists_a_run_whole_at_once():
    hub = FakeHub([asset(n) for n in range(500)])
    with planning(hub, jobs_ahead=0) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(job_size=50), deps)
        jobs, event = planned(deps)
    assert len(jobs) == 10 and event.total_jobs == 10


def refs(n, url_length=40):
    return [
        AssetRef(asset_id=f"a{i}", external_id=f"e{i}", data_url="http://h/" + "x" * url_length)
        for i in range(n)
    ]


def test_chunking_respects_job_size_and_the_message_budget():
    small = list(job_chunks("r", "{:06d}", 7, refs(120), 50))
    assert [len(j.assets) for j in small] == [50, 50, 20]
    assert [j.job_id for j in small] == ["000007", "000008", "000009"]  # numbered on from the cursor
    big = list(job_chunks("r", "{:06d}", 0, refs(100, url_length=2000), 100))
    assert sum(len(j.assets) for j in big) == 100
    assert all(len(dump_message(j).encode()) <= MAX_MESSAGE_BYTES for j in big)
    retry = list(job_chunks("r", "r12-{:06d}", 0, refs(100, url_length=2000), 100))
    assert all(j.job_id.startswith("r12-") and j.is_retry and j.queued_at for j in retry)
    assert all(len(dump_message(j).encode()) <= MAX_MESSAGE_BYTES for j in retry)


def test_a_trial_takes_the_first_n_ready_assets_and_lists_no_further_page():
    assets = [asset(n, status="COMPLETED" if n == 1 else "TODO") for n in range(250)]
    hub = FakeHub(assets)
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(sample=5, job_size=2), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == ["a0", "a2", "a3", "a4", "a5"]  # a1 is not To Do: skipped, not counted
    assert event.total_assets == 6 and event.skipped == {"status COMPLETED": 1}
    assert event.total_jobs == len(jobs) == 3 and hub.pages_read == [(None, 1)]


def test_a_trial_larger_than_a_page_reads_the_pages_it_needs():
    hub = FakeHub([asset(n) for n in range(350)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(sample=150), deps)
        jobs, event = planned(deps)
    assert len(asset_ids(jobs)) == 150 == event.total_assets
    assert hub.pages_read == [(None, 1), (None, 2)]


def test_a_cancelled_run_stops_listing_and_its_plan_says_so():
    hub = FakeHub([asset(n) for n in range(250)])
    with planning(hub) as deps:
        deps.ledger.cancelled = True  # type: ignore[attr-defined]
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert jobs == [] and hub.pages_read == []
    assert event.cancelled and event.total_assets == 0 and event.total_jobs == 0


def before_each_read(hub: FakeHub, change: Callable[[int], None]) -> None:
    """`change(reads so far)` runs before each listing call answers: Hub changing while a run lists."""
    hub.before_read = change


def uploading(hub: FakeHub, per_read: list[int]) -> list[str]:
    """Before each read after the first, upload `per_read[i]` new assets: Hub lists newest first,
    so they go in front and push every asset down. Returns the ids present at the first read."""
    original = [a["_id"] for a in hub.assets]
    reads = iter(per_read)

    def upload(reads_so_far: int) -> None:
        if reads_so_far:
            count, start = next(reads, 0), 10_000 + len(hub.assets)
            hub.assets = [asset(start + n, batches=("X",)) for n in range(count)] + hub.assets

    before_each_read(hub, upload)
    return original


@pytest.mark.parametrize(
    "per_read",
    [[3], [30] * 20, [250], [0, 1000, 0, 0], [150] * 20],
    ids=["a-few", "steady", "bulk", "burst-then-quiet", "faster-than-a-page"],
)
def test_assets_uploaded_while_listing_never_repeat_or_hide_one_that_was_there(per_read: list[int]):
    hub = FakeHub([asset(n, batches=("X",)) for n in range(740)])
    original = uploading(hub, per_read)
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    ids = asset_ids(jobs)
    assert len(ids) == len(set(ids)), "an asset listed twice would be pre-labeled twice"
    assert set(ids) == set(original), "the run covers the assets there when it started listing"
    assert event.total_assets == 740
    # A steady upload costs no read beyond the pages it adds; a burst costs one read again.
    assert len(hub.pages_read) <= 8 + sum(per_read[: len(hub.pages_read)]) // PAGE_LIMIT + 2


def test_an_asset_deleted_while_listing_shows_no_other_twice_and_hides_none():
    hub = FakeHub([asset(n) for n in range(300)])

    def delete(reads_so_far: int) -> None:
        if reads_so_far == 1:  # one listed and one not yet listed asset are deleted
            hub.assets = [a for a in hub.assets if a["_id"] not in ("a5", "a250")]

    before_each_read(hub, delete)
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, _ = planned(deps)
    ids = asset_ids(jobs)
    assert len(ids) == len(set(ids))
    assert set(ids) == {f"a{n}" for n in range(300)} - {"a250"}


def test_a_later_batch_of_several_pages_is_listed_whole_and_alone(task_asset: str):
    """The assets listing takes one batch at a time; the tasks listing all of them at once."""
    hub = FakeHub([asset(n, ["X"]) for n in range(150)] + [asset(1000 + n, ["Y"]) for n in range(250)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(batches=["X", "Y"]), deps)
        jobs, event = planned(deps)
    expected = [f"a{n}" for n in range(150)] + [f"a{1000 + n}" for n in range(250)]
    assert sorted(asset_ids(jobs)) == sorted(expected) and event.total_assets == 400
    if task_asset == "object":
        assert hub.pages_read == [("X,Y", 1), ("X,Y", 2), ("X,Y", 3), ("X,Y", 4)]
    else:
        assert hub.pages_read == [("X", 1), ("X", 2), ("Y", 1), ("Y", 2), ("Y", 3)]


def test_a_listing_whose_total_overstates_ends_at_its_last_asset():
    hub = FakeHub([asset(n) for n in range(200)])
    read_assets, read_tasks = hub.asset_page, hub.task_page

    def overstating_assets(project_id: str, page: int, batch: str | None) -> AssetPage:
        answer = read_assets(project_id, page, batch)
        return AssetPage(assets=answer.assets, total=(answer.total or 0) + 50)

    def overstating_tasks(project_id: str, page: int, batches: tuple[str, ...]) -> TaskPage:
        answer = read_tasks(project_id, page, batches)
        return TaskPage(tasks=answer.tasks, total=(answer.total or 0) + 50)

    hub.asset_page, hub.task_page = overstating_assets, overstating_tasks  # type: ignore[method-assign]
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert sorted(asset_ids(jobs)) == sorted(f"a{n}" for n in range(200)) and event.total_assets == 200
    assert [page for _, page in hub.pages_read] == [1, 2, 3]


def test_a_cursor_saved_by_the_page_counting_planner_goes_on_from_its_page():
    """A deploy that catches a plan job mid-listing: the new handler reads the old cursor."""
    legacy = PlanCursor.model_validate_json(
        '{"selection": 0, "page": 3, "next_job": 2, "listed": 200, "ready": 200}'
    )
    hub = FakeHub([asset(n) for n in range(450)])
    with planning(hub) as deps:
        deps.ledger.cursor = legacy  # type: ignore[attr-defined]
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert hub.pages_read == [(None, 3), (None, 4), (None, 5)]
    assert asset_ids(jobs) == [f"a{n}" for n in range(200, 450)] and event.total_assets == 450


def test_media_the_model_does_not_read_is_skipped_by_kind_and_an_unknown_extension_goes_to_the_download():
    kinds = [".jpg", ".mp4", ".txt", ".pdf", ".PNG", ".webm", ".dcm", ".wav", "", ".jpeg?v=2", ".nrrd"]
    hub = FakeHub([asset(n, suffix=suffix) for n, suffix in enumerate(kinds)])
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    # An image model reads .jpg, .mp4 (its frames), .pdf (its pages), .PNG, .webm, .dcm (its
    # frames), no extension, .jpeg with a query; not texts, sounds or NRRD volumes.
    assert asset_ids(jobs) == ["a0", "a1", "a3", "a4", "a5", "a6", "a8", "a9"]
    assert event.skipped == {"text": 1, "audio": 1, "nrrd": 1}
    assert event.total_assets == 11
    with planning(hub, model="entities") as deps:  # a text model: texts, and what names no kind
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == ["a2", "a8"]
    assert event.skipped == {"image": 3, "video": 2, "document": 1, "medical": 1, "audio": 1, "nrrd": 1}


def test_a_consensus_project_lists_each_asset_once_whatever_its_tasks(task_asset: str):
    """Consensus projects have several tasks per asset, created together and so listed together."""
    assets = [asset(n) for n in range(150)]
    hub = FakeHub([a for a in assets for _ in range(3)])  # three tasks of each asset, side by side
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == [f"a{n}" for n in range(150)]
    assert event.total_assets == 150 and event.skipped == {}


def tasks_answered(hub: FakeHub, change: Callable[[list[dict[str, Any]], int], TaskPage]) -> None:
    read = hub.task_page

    def answer(project_id: str, page: int, batches: tuple[str, ...]) -> TaskPage:
        return change(read(project_id, page, batches).tasks, page)

    hub.task_page = answer  # type: ignore[method-assign]


@pytest.mark.parametrize("full_pages_too", [False, True])
@pytest.mark.parametrize("task_asset", ["object"], indirect=True)
def test_a_listing_without_total_reads_on_until_a_short_page(full_pages_too: bool):
    hub = FakeHub([asset(n) for n in range(250)])

    def without_total(tasks: list[dict[str, Any]], page: int) -> TaskPage:
        short = len(tasks) < PAGE_LIMIT
        return TaskPage(tasks=tasks, total=None if short or full_pages_too else 250)

    tasks_answered(hub, without_total)
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == [f"a{n}" for n in range(250)] and event.total_assets == 250


@pytest.mark.parametrize("task_asset", ["object"], indirect=True)
def test_ids_as_numbers_and_a_status_in_another_case_are_read_as_hub_means_them():
    hub = FakeHub([asset(1), asset(2), asset(3)])

    def other_forms(tasks: list[dict[str, Any]], page: int) -> TaskPage:
        numbered = [
            {
                **t,
                "_id": 900 + n,
                "status": ["Todo", "To Do", "Completed"][n],
                "asset": {**t["asset"], "_id": n},
            }
            for n, t in enumerate(tasks)
        ]
        return TaskPage(tasks=numbered, total=3)

    tasks_answered(hub, other_forms)
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        jobs, event = planned(deps)
    assert asset_ids(jobs) == ["0", "1"] and event.skipped == {"status COMPLETED": 1}


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        (lambda t: {k: v for k, v in t.items() if k != "status"}, "a task without a status"),
        (lambda t: {**t, "asset": {"name": "x"}}, "a task without an asset id"),
        (lambda t: "just a string", "a task that is not an object"),
    ],
    ids=["no-status", "no-asset-id", "not-an-object"],
)
@pytest.mark.parametrize("task_asset", ["object"], indirect=True)
def test_a_task_shape_no_reader_takes_fails_the_run_once_with_what_was_seen(broken: Any, said: str):
    hub = FakeHub([asset(n) for n in range(5)])
    tasks_answered(hub, lambda tasks, page: TaskPage(tasks=[broken(t) for t in tasks], total=5))
    with planning(hub) as deps:
        assert plan_run(PlanJob(run_id="run1"), run_record(), deps) is None
        (failed,) = deps.status.messages  # type: ignore[attr-defined]
    assert isinstance(failed, RunFailed) and said in failed.reason
    assert deps.jobs.messages == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("task_asset", ["id"], indirect=True)
def test_a_tasks_lookup_that_names_no_listed_asset_fails_the_run_instead_of_skipping_all():
    """From the assets listing: tasks whose asset ids match nothing listed would make every asset
    "status unknown"; the run fails once, saying what the two answers held."""
    hub = FakeHub([asset(n) for n in range(5)])
    hub.task_states = lambda project_id, external_ids: [  # type: ignore[method-assign]
        TaskState("other-" + e, e, "TODO", False, ()) for e in external_ids
    ]
    with planning(hub) as deps:
        plan_run(PlanJob(run_id="run1"), run_record(), deps)
        (failed,) = deps.status.messages  # type: ignore[attr-defined]
    assert isinstance(failed, RunFailed) and "none for a listed asset" in failed.reason
