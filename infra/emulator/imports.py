"""`POST /v2/import/labels`: validate every item first, then apply them all (or none).

Choices where Hub is undocumented (the stricter one each time): unknown keys anywhere → 400; an item
names its asset by exactly one of `externalId` / `data`; an item with no annotations → 400; an empty
`jsonContent` → 400; `assetId` is not accepted.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .geometry import IMPORTABLE_TOOLS, check_geometry
from .model import TODO, Asset, Project
from .ontology import Ontology, check_classification, nested

_ITEM_KEYS = frozenset({"externalId", "data", "objects", "classifications", "relations"})
_OBJECT_KEYS = frozenset({"schemaId", "objectId", "lock", "classifications", "title", "page"})
_RELATION_KEYS = frozenset({"schemaId", "from", "to", "group", "title"})
_GEOMETRY_KEYS = frozenset({*IMPORTABLE_TOOLS, "brush", "pct"})


@dataclass
class PlannedItem:
    assets: list[Asset]
    objects: list[dict[str, Any]] = field(default_factory=list)
    classifications: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)


class _ItemError(Exception):
    pass


def plan_import(project: Project, items: Any, base_url: str, max_items: int) -> list[PlannedItem]:
    """Check the whole `jsonContent`; raises ApiError naming the first bad item, changes nothing."""
    if not isinstance(items, list) or not items:
        raise ApiError(400, "jsonContent must be a non-empty list")
    if len(items) > max_items:
        raise ApiError(413, f"jsonContent has {len(items)} items; at most {max_items} per request")
    ontology = Ontology.of(project.category_schema)
    plan = []
    for index, item in enumerate(items):
        try:
            plan.append(_plan_item(project, ontology, item, base_url))
        except _ItemError as exc:
            raise ApiError(400, f"jsonContent[{index}]: {exc}") from None
    return plan


def apply_import(plan: list[PlannedItem], mode: str) -> dict[str, int]:
    """Write the planned pre-labels; only To-Do tasks take them, the rest silently not (DOC-IMPH).

    `imported` counts the items that pre-labeled at least one asset, so an item aimed only at tasks
    that are not To Do is not claimed as imported. `skippedNotTodo` is the emulator's hint, not Hub's.
    """
    updated: dict[str, Asset] = {}
    skipped: set[str] = set()
    imported = 0
    for item in plan:
        todo = [a for a in item.assets if a.status == TODO]
        skipped.update(a.id for a in item.assets if a.status != TODO)
        for asset in todo:
            if mode == "replace" and asset.id not in updated:
                asset.answer = {"tools": [], "classifications": [], "relations": []}
            _store(asset, item)
            updated[asset.id] = asset
        imported += bool(todo)
    return {"imported": imported, "assetsUpdated": len(updated), "skippedNotTodo": len(skipped)}


def _store(asset: Asset, item: PlannedItem) -> None:
    now_ms = int(time.time() * 1000)
    for obj in item.objects:
        stored = copy.deepcopy(obj)
        stored.setdefault("objectId", uuid.uuid4().hex)
        stored.setdefault("lock", False)
        stored["metadata"] = {"createdAt": now_ms, "createdBy": "import"}
        asset.answer["tools"].append(stored)
    asset.answer["classifications"].extend(copy.deepcopy(item.classifications))
    asset.answer["relations"].extend(copy.deepcopy(item.relations))
    asset.is_prelabeled = True
    asset.import_count += 1


def _plan_item(project: Project, ontology: Ontology, item: Any, base_url: str) -> PlannedItem:
    if not isinstance(item, dict):
        raise _ItemError("item must be an object")
    unknown = set(item) - _ITEM_KEYS
    if unknown:
        raise _ItemError(f"unknown keys {sorted(unknown)}")
    planned = PlannedItem(assets=_find_assets(project, item, base_url))
    planned.objects = _list(item, "objects")
    planned.classifications = _list(item, "classifications")
    planned.relations = _list(item, "relations")
    if not (planned.objects or planned.classifications or planned.relations):
        raise _ItemError("item has no objects, classifications or relations")
    for asset in planned.assets:
        for n, obj in enumerate(planned.objects):
            _check_object(ontology, obj, asset, f"objects[{n}]")
    _check_one_object_per_id_and_frame(planned.objects)
    _raise_if(_first(check_classification(c, ontology.classifications) for c in planned.classifications))
    for n, rel in enumerate(planned.relations):
        _check_relation(ontology, rel, f"relations[{n}]")
    return planned


def _find_assets(project: Project, item: dict[str, Any], base_url: str) -> list[Asset]:
    if ("externalId" in item) == ("data" in item):
        raise _ItemError("item must name its asset by exactly one of externalId or data")
    if "externalId" in item:
        key = item["externalId"]
        found = project.assets_by_external_id(key) if isinstance(key, str) else []
    else:
        key = item["data"]
        found = project.assets_by_url(base_url, key) if isinstance(key, str) else []
    if not isinstance(key, str) or not found:
        raise _ItemError(f"no asset in project {project.id} matches {key!r}")
    return found


def _list(item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = item.get(key, [])
    if not isinstance(value, list):
        raise _ItemError(f"{key} must be a list")
    return value


def _check_object(ontology: Ontology, obj: Any, asset: Asset, where: str) -> None:
    if not isinstance(obj, dict):
        raise _ItemError(f"{where} must be an object")
    tool = ontology.tools.get(obj.get("schemaId"))  # type: ignore[arg-type]
    if tool is None:
        raise _ItemError(f"{where}: schemaId {obj.get('schemaId')!r} is not a tool of this project")
    geometry = set(obj) & _GEOMETRY_KEYS
    if geometry != {tool["tool"]}:
        raise _ItemError(f"{where}: needs exactly one geometry key {tool['tool']!r}, got {sorted(geometry)}")
    unknown = set(obj) - _OBJECT_KEYS - geometry
    if unknown:
        raise _ItemError(f"{where}: unknown keys {sorted(unknown)}")
    kind = tool["tool"]
    _raise_if(
        (kind == "pdf") != (asset.media == "pdf")
        and f"{where}: a {kind} tool does not go on a {asset.media} asset (PDFs take pdf areas only)"
    )
    problem = (
        check_span(obj["ner"], asset)
        if kind == "ner"
        else check_pdf_area(obj["pdf"], asset)
        if kind == "pdf"
        else check_geometry(kind, obj[kind], asset.width, asset.height)
    )
    _raise_if(problem and f"{where}.{kind}: {problem} (asset {asset.id})")
    _check_page(obj.get("page"), asset, where)
    _raise_if(not isinstance(obj.get("objectId", ""), str) and f"{where}: objectId must be a string")
    _raise_if(not isinstance(obj.get("lock", False), bool) and f"{where}: lock must be a boolean")
    children = obj.get("classifications", [])
    _raise_if(not isinstance(children, list) and f"{where}: classifications must be a list")
    _raise_if(_first(check_classification(c, nested(tool)) for c in children))


def _check_page(page: Any, asset: Asset, where: str) -> None:
    """An object on a video, a multi-frame DICOM file or a multi-image asset names its frame or page
    (`page`, from 0); no other asset takes a page (a PDF area names its `pageNumber` instead). Both
    refusals: assumed (stricter)."""
    pages = asset.page_count
    if not (asset.media in ("video", "dataset") or (asset.media == "dicom" and pages > 1)):
        _raise_if(
            page is not None and f"{where}: page is for videos and multi-page assets; not this {asset.media}"
        )
        return
    _raise_if(page is None and f"{where}: an object on a {asset.media} asset needs the `page` of its frame")
    whole = isinstance(page, int) and not isinstance(page, bool)
    _raise_if(not (whole and 0 <= page < pages) and f"{where}: page {page!r} is not a page of its {pages}")


def _check_one_object_per_id_and_frame(objects: list[dict[str, Any]]) -> None:
    """One objectId names one object per frame: the same id on two frames is one tracked object."""
    seen: set[tuple[Any, Any]] = set()
    for n, obj in enumerate(objects):
        page = obj.get("page", obj["pdf"].get("pageNumber") if isinstance(obj.get("pdf"), dict) else None)
        key = (page, obj.get("objectId"))
        _raise_if(
            key[1] is not None and key in seen and f"objects[{n}]: objectId {key[1]!r} twice on page {key[0]}"
        )
        seen.add(key)


def check_span(value: Any, asset: Asset) -> str | None:
    """A text entity: whole character offsets within the text asset's length. Guessed: offsets
    count Unicode code points (no source says; a JavaScript front end might count UTF-16 units)."""
    if not asset.content_type.startswith("text/"):
        return f"ner is for text assets; this one is {asset.content_type}"
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        return "must have exactly the keys ['end', 'start']"
    start, end = value["start"], value["end"]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)):
        return "start and end must be whole numbers (character offsets)"
    length = len(asset.content.decode("utf-8-sig", errors="replace"))
    if not 0 <= start < end <= length:
        return f"span {start}..{end} is not within the text's {length} characters"
    return None


_PDF_KEYS = frozenset({"x1", "y1", "x2", "y2", "width", "height", "pageNumber"})


def check_pdf_area(value: Any, asset: Asset) -> str | None:
    """An area of a PDF page: its corners (x1, y1) top-left and (x2, y2) bottom-right in a frame
    `width` x `height` in size, on page `pageNumber`, with an optional `text`. **Guessed**: that the
    corners are read against that width and height (react-pdf-highlighter's scaled rectangle,
    whose keys these are), and that `pageNumber` counts from 1 (pdf.js's page numbers)."""
    if not isinstance(value, dict) or not _PDF_KEYS <= set(value) <= {*_PDF_KEYS, "text"}:
        return f"must have the keys {sorted(_PDF_KEYS)} and may have 'text'"
    numbers = [value[key] for key in sorted(_PDF_KEYS)]
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        return "its corners, width, height and pageNumber must be numbers"
    if not isinstance(value.get("text", ""), str):
        return "text must be a string"
    pages = asset.page_count
    page = value["pageNumber"]
    if not (isinstance(page, int) and 1 <= page <= pages):
        return f"pageNumber {page!r} is not a page of its {pages} (pages count from 1)"
    width, height = value["width"], value["height"]
    if not (width > 0 and height > 0):
        return "width and height must be positive"
    if not (0 <= value["x1"] < value["x2"] <= width and 0 <= value["y1"] < value["y2"] <= height):
        corners = f"({value['x1']}, {value['y1']})-({value['x2']}, {value['y2']})"
        return f"corners {corners} are not within {width}x{height}"
    return None


def _check_relation(ontology: Ontology, rel: Any, where: str) -> None:
    if not isinstance(rel, dict) or rel.get("schemaId") not in ontology.relations:
        raise _ItemError(f"{where}: schemaId is not a relation of this project")
    unknown = set(rel) - _RELATION_KEYS
    _raise_if(unknown and f"{where}: unknown keys {sorted(unknown)}")
    pair = isinstance(rel.get("from"), str) and isinstance(rel.get("to"), str)
    group = isinstance(rel.get("group"), list) and all(isinstance(g, str) for g in rel["group"])
    _raise_if(not (pair or group) and f"{where}: needs from/to objectIds or a group list")


def _first(problems: Any) -> str | None:
    return next((p for p in problems if p), None)


def _raise_if(problem: object) -> None:
    if problem:
        raise _ItemError(str(problem))
