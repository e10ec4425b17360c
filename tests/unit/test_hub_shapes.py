"""Reading Hub's JSON in each plausible form (handler/contract/hub_shapes.py)."""

from __future__ import annotations

import pytest

from handler.contract.hub_shapes import HubShapeError, id_of, pages_of, read_task, status_of, total_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a1", "a1"),
        (17, "17"),
        ({"_id": "a1"}, "a1"),
        ({"_id": 5}, "5"),
        ({"id": "a1"}, "a1"),
        (None, ""),
        (True, ""),
        ([1], ""),
        ({"name": "x"}, ""),
    ],
)
def test_an_id_is_read_from_a_string_a_number_or_an_object(value: object, expected: str) -> None:
    assert id_of(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TODO", "TODO"),
        ("Todo", "TODO"),
        ("To Do", "TODO"),
        ("to_do", "TODO"),
        ("to-do", "TODO"),
        ("Completed", "COMPLETED"),
        ("IN_PROGRESS", "IN_PROGRESS"),
        ("In Progress", "IN_PROGRESS"),
        (None, ""),
    ],
)
def test_a_status_is_read_in_any_spelling(value: object, expected: str) -> None:
    assert status_of(value) == expected


def test_a_task_asset_as_an_object_or_a_bare_id_names_the_same_asset() -> None:
    as_object = read_task(
        {"_id": "t1", "status": "TODO", "asset": {"_id": "a1", "externalId": "x.jpg", "data": "u"}}
    )
    as_id = read_task({"_id": "t1", "status": "TODO", "asset": "a1", "externalId": "x.jpg"})
    assert as_object.asset_id == as_id.asset_id == "a1"
    assert as_object.external_id == as_id.external_id == "x.jpg"
    assert (as_object.data, as_object.carries_data) == ("u", True)
    assert (as_id.data, as_id.carries_data) == (None, False)


def test_a_task_with_a_null_data_carries_data_but_has_none() -> None:
    task = read_task({"_id": "t1", "status": "TODO", "asset": {"_id": "a1", "externalId": "x", "data": None}})
    assert task.carries_data and task.data is None


@pytest.mark.parametrize(
    ("task", "said"),
    [
        ({"status": "TODO"}, "without an asset id"),
        ({"asset": "a1"}, "without a status"),
        ([], "not an object"),
    ],
)
def test_a_task_no_form_reads_raises_with_what_was_seen(task: object, said: str) -> None:
    with pytest.raises(HubShapeError, match=said):
        read_task(task)


def test_a_missing_total_ends_at_a_short_page_and_is_unknown_on_a_full_one() -> None:
    assert total_of({"total": 250}, 0, 100, 100) == 250
    assert total_of({"total": "250"}, 0, 100, 100) == 250
    assert total_of({}, 200, 50, 100) == 250
    assert total_of({}, 0, 100, 100) is None
    assert total_of({"total": None}, 100, 0, 100) == 100


@pytest.mark.parametrize(
    ("dataset", "pages"),
    [
        (["https://s/p0.jpg", "https://s/p1.jpg"], ("https://s/p0.jpg", "https://s/p1.jpg")),
        (
            [{"data": "https://s/p0.jpg"}, {"url": "https://s/p1.jpg"}],
            ("https://s/p0.jpg", "https://s/p1.jpg"),
        ),
        (None, ()),
        ([], ()),
        (["https://s/p0.jpg", None], ()),  # a page without its URL: read as one picture, not half
        ("https://s/p0.jpg", ()),
    ],
)
def test_a_multi_image_assets_pages_are_read_from_its_dataset_in_each_plausible_form(
    dataset: object, pages: tuple[str, ...]
) -> None:
    task = {"asset": {"_id": "a1", "data": "https://s/p0.jpg", "dataset": dataset}, "status": "TODO"}
    assert pages_of(dataset) == pages
    assert read_task(task).pages == pages
