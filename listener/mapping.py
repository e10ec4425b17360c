"""Resolving the user's class mapping (`categorySchema`) against the project's ontology."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handler.contract.hub_shapes import text_of
from handler.contract.model import ModelSpec
from handler.contract.records import ClassTarget
from handler.outputs.conversions import TOOLS_FOR, can_fill
from listener.payload import ClassMapping


class MappingError(ValueError):
    """The mapping cannot work; the message is meant for the user."""


def resolve_targets(
    mapping: Sequence[ClassMapping] | None, project: dict[str, Any], spec: ModelSpec[Any]
) -> tuple[ClassTarget, ...]:
    """Each mapped model class with its project tool; refuse anything the import would reject."""
    if not mapping:
        classes = ", ".join(spec.classes)
        raise MappingError(
            f"Please complete class mapping: map the model's classes ({classes}) to labels of "
            "your project, then run again."
        )
    tools = _tools_by_schema_id(project)
    return tuple(_resolve_one(entry, tools, project, spec) for entry in mapping)


def _resolve_one(
    entry: ClassMapping, tools: dict[str, dict[str, Any]], project: dict[str, Any], spec: ModelSpec[Any]
) -> ClassTarget:
    kind = spec.classes.get(entry.modelClass)
    if kind is None:
        raise MappingError(
            f"The model has no class {entry.modelClass!r}; its classes are: {', '.join(spec.classes)}."
        )
    fills = " or ".join(TOOLS_FOR[kind])
    tool = tools.get(entry.schemaId)
    if tool is None:  # the ontology's other entries are looked at only to say what it is instead
        other = _other_entries(project).get(entry.schemaId)
        what = (
            f"{other[1]!r}, a {other[0]}"
            if other
            else f"a label ({entry.schemaId}) that is not a labeling tool"
        )
        raise MappingError(
            f"{entry.modelClass!r} produces {kind} shapes but is mapped to {what} of this project; "
            f"map it to a {fills} tool."
        )
    if not can_fill(kind, str(tool.get("tool"))):
        raise MappingError(
            f"{entry.modelClass!r} produces {kind} shapes but is mapped to {tool.get('title')!r}, "
            f"a {tool.get('tool')} tool. Map it to a {fills} tool."
        )
    return ClassTarget(model_class=entry.modelClass, schema_id=entry.schemaId, tool=tool["tool"])


def _other_entries(project: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The ontology's classifications (nested ones too) and relations by schemaId: (what, title)."""
    schema = project.get("categorySchema")
    if not isinstance(schema, dict):
        return {}
    found: dict[str, tuple[str, str]] = {}
    pending = [(entry, "classification") for entry in schema.get("classifications") or ()]
    pending += [(entry, "classification") for tool in schema.get("tools") or () for entry in _nested(tool)]
    pending += [(entry, "relation") for entry in schema.get("relations") or ()]
    while pending:
        entry, what = pending.pop()
        if isinstance(entry, dict) and text_of(entry.get("schemaId")):
            found[text_of(entry.get("schemaId"))] = (f"{entry.get('tool')} {what}", str(entry.get("title")))
            pending += [(child, "classification") for child in _nested(entry)]
    return found


def _nested(entry: Any) -> list[Any]:
    children = entry.get("classifications") if isinstance(entry, dict) else None
    return children if isinstance(children, list) else []


def _tools_by_schema_id(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's tools by schemaId: `categorySchema.tools` as documented, or a plain list of
    tools (a plausible other form); ids as strings or numbers."""
    schema = project.get("categorySchema") or {}
    tools = schema.get("tools") if isinstance(schema, dict) else schema
    listed = [tool for tool in tools or () if isinstance(tool, dict)] if isinstance(tools, list) else []
    return {text_of(tool.get("schemaId")): tool for tool in listed if text_of(tool.get("schemaId"))}
