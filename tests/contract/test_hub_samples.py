"""Hub's documented JSON samples (tests/contract/hub_samples/, verbatim) through the product's own
parsing: the Ango client's readers, planning's listing, the payload and the class mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handler.contract.hub_shapes import id_of, listed_items, read_task
from handler.contract.model import ModelSpec, NoConfig
from handler.planning.listings import TaskListing
from listener.acceptance import _check_project_type
from listener.mapping import resolve_targets
from listener.payload import parse_plugin_run

pytestmark = pytest.mark.unit
SAMPLES = Path(__file__).parent / "hub_samples"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / f"{name}.json").read_text()))


class SampleHub:
    """The Ango client's SDK calls answered with the documented samples."""

    def get_tasks(self, project_id: str, **_: Any) -> dict[str, Any]:
        return sample("get_tasks_of_project")

    def get_project(self, project_id: str) -> dict[str, Any]:
        return sample("get_project")


@pytest.fixture
def client() -> Any:
    from handler.contract.ango import AngoClient

    made = AngoClient("https://hub.example", "key")
    made._sdk = SampleHub()  # type: ignore[assignment]
    return made


def test_the_documented_tasks_listing_plans_both_assets_with_their_urls(client: Any) -> None:
    page = TaskListing(client, "6167dfee2a810d000e9d313f", ()).read(1)
    assert page.total == 2 and page.carries_data
    assert [(a.asset_id, a.external_id, a.status, a.prelabeled) for a in page.assets] == [
        ("6167e84f2a810d000e9d3185", "text_file.txt", "TODO", True),
        ("6167e08b2a810d000e9d314c", "test.jpg", "TODO", True),
    ]
    assert page.assets[1].data == (
        "https://angohub-public-assets.s3.amazonaws.com/uploaded-data-15c12f8e-4b46-4d55-8fd4-776455448810.jpg"
    )


def test_the_documented_get_task_reads_with_its_project_as_an_object_and_its_status_in_title_case() -> None:
    task = sample("get_task")["data"]["task"]
    read = read_task(task)
    assert (read.asset_id, read.external_id, read.status) == (
        "6167e08b2a810d000e9d314c",
        "test.jpg",
        "COMPLETED",
    )
    assert id_of(task["project"]) == "6167dfee2a810d000e9d313f"


def test_the_documented_tasks_answer_is_found_where_the_client_looks(client: Any) -> None:
    data, tasks = listed_items(sample("get_tasks_of_project"), "tasks")
    assert data["total"] == len(tasks) == 2
    states = client.task_states("6167dfee2a810d000e9d313f", ["test.jpg"])
    assert [(s.asset_id, s.status, s.prelabeled) for s in states][1] == (
        "6167e08b2a810d000e9d314c",
        "TODO",
        True,
    )


def test_the_documented_project_is_accepted_and_its_ontology_maps_a_class(client: Any) -> None:
    project = client.get_project("6167dfee2a810d000e9d313f")
    _check_project_type(project, "6167dfee2a810d000e9d313f")  # no `type` in the sample: accepted
    spec = ModelSpec(classes={"Car": "bounding-box"}, config=NoConfig)
    payload = parse_plugin_run(
        {
            **sample("run_payload"),
            "categorySchema": [{"schemaId": "4b8ac18a570747f87b27025", "modelClass": "Car"}],
        }
    )
    (target,) = resolve_targets(payload.mapped_classes(spec.classes), project, spec)
    assert (target.model_class, target.schema_id, target.tool) == (
        "Car",
        "4b8ac18a570747f87b27025",
        "bounding-box",
    )


def test_the_documented_run_payload_parses_with_both_mapped_classes() -> None:
    run = parse_plugin_run(sample("run_payload"))
    assert run.projectId == "6167dfee2a810d000e9d313f" and run.batches == []
    mapped = run.mapped_classes({"Vehicle": "bounding-box", "Person": "bounding-box"})
    # Two classes on one schemaId, as in DOC-BM's example.
    assert [(m.modelClass, m.schemaId) for m in mapped] == [
        ("Vehicle", "797ea755f5693c0dc902558"),
        ("Person", "797ea755f5693c0dc902558"),
    ]
    assert json.loads(run.configJSON or "{}")["dummy-bounding-box"]["width"] == 50
