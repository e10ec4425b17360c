"""The import's checks on assets of many pages: PDF areas on PDFs only (and only they), their page
numbers and corners; `page` on multi-frame DICOM files and multi-image assets within their pages,
and on nothing of one page (no server)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

from infra import demo_data as d
from infra.emulator import documents
from infra.emulator.errors import ApiError
from infra.emulator.imports import apply_import, plan_import
from infra.emulator.model import Project
from infra.emulator.seed import parse_seed

from .factories import BASE_URL, asset_spec

pytestmark = pytest.mark.unit
PNG = d.encode(np.full((80, 100, 3), 200, dtype=np.uint8), "PNG")


def project() -> Project:
    frames = [np.full((80, 100), 40 * n, dtype=np.uint8) for n in range(1, 4)]
    media = {
        "doc.pdf": ("application/pdf", documents.two_page_pdf()),
        "slice.dcm": ("application/dicom", documents.dicom_of_picture(np.zeros((80, 100), np.uint8))),
        "series.dcm": ("application/dicom", documents.multiframe_dicom(frames)),
        "pic.png": ("image/png", PNG),
    }
    assets = [
        {**asset_spec(n, name, []), "contentType": kind, "content": body}
        for n, (name, (kind, body)) in enumerate(media.items())
    ]
    pages = {"pagesBase64": [base64.b64encode(PNG).decode()] * 2}
    assets.append({**asset_spec(9, "pages", []), **pages})
    spec = {
        "_id": d.PROJECT_ID,
        "name": "paged",
        "categorySchema": d.CATEGORY_SCHEMA,
        "batches": [],
        "assets": assets,
    }
    return parse_seed({"projects": [spec]}).projects[0]


def area(page: int = 1, **corners: Any) -> dict[str, Any]:
    value = {
        "x1": 10,
        "y1": 10,
        "x2": 50,
        "y2": 40,
        "width": 100,
        "height": 80,
        "pageNumber": page,
        **corners,
    }
    return {"schemaId": d.FACE_AREA_SCHEMA_ID, "pdf": value}


def box(**extra: Any) -> dict[str, Any]:
    return {
        "schemaId": d.FACE_SCHEMA_ID,
        "bounding-box": {"x": 1, "y": 2, "width": 10, "height": 10},
        **extra,
    }


def problem(external_id: str, *objects: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as err:
        plan_import(project(), [{"externalId": external_id, "objects": list(objects)}], BASE_URL, 100)
    return err.value.message


def imported(external_id: str, *objects: dict[str, Any]) -> list[dict[str, Any]]:
    target = project()
    apply_import(
        plan_import(target, [{"externalId": external_id, "objects": list(objects)}], BASE_URL, 100), "append"
    )
    (asset,) = [a for a in target.assets if a.external_id == external_id]
    return asset.answer["tools"]


def test_pdf_areas_go_on_a_pdf_by_page_number_from_one_and_with_text() -> None:
    tools = imported("doc.pdf", area(1, text="hello"), area(2))
    assert [t["pdf"]["pageNumber"] for t in tools] == [1, 2] and tools[0]["pdf"]["text"] == "hello"


@pytest.mark.parametrize(
    ("external_id", "objects", "said"),
    [
        ("doc.pdf", [area(3)], "pageNumber 3 is not a page of its 2"),
        ("doc.pdf", [area(0)], "pageNumber 0 is not a page of its 2 (pages count from 1)"),
        ("doc.pdf", [area(1, x2=120)], "are not within 100x80"),
        ("doc.pdf", [area(1, x1=60)], "are not within 100x80"),
        ("doc.pdf", [{**area(1), "page": 0}], "page is for videos and multi-page assets; not this pdf"),
        ("doc.pdf", [{**area(1), "pdf": {**area(1)["pdf"], "colour": 1}}], "may have 'text'"),
        ("doc.pdf", [box()], "a bounding-box tool does not go on a pdf asset"),
        ("pic.png", [area(1)], "a pdf tool does not go on a image asset"),
        ("slice.dcm", [box(page=0)], "page is for videos and multi-page assets; not this dicom"),
        ("series.dcm", [box()], "an object on a dicom asset needs the `page`"),
        ("series.dcm", [box(page=3)], "page 3 is not a page of its 3"),
        ("pages", [box(page=2)], "page 2 is not a page of its 2"),
        ("pages", [box()], "an object on a dataset asset needs the `page`"),
    ],
)
def test_what_a_paged_asset_refuses(external_id: str, objects: list[dict[str, Any]], said: str) -> None:
    assert said in problem(external_id, *objects)


def test_a_dicom_slice_takes_objects_as_a_picture_and_a_series_and_pages_on_their_pages() -> None:
    assert "page" not in imported("slice.dcm", box())[0]
    assert [t["page"] for t in imported("series.dcm", box(page=0), box(page=2))] == [0, 2]
    assert [t["page"] for t in imported("pages", box(page=1, objectId="a"), box(page=0, objectId="a"))] == [
        1,
        0,
    ]
