"""Resolving the user's class mapping (`categorySchema`) against the project's ontology."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handler.contract.hub_shapes import text_of
from handler.contract.model import ModelSpec
from handler.contract.records import ClassTarget
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
    return tuple(_resolve_one(entry, tools, spec) for entry in mapping)


def _resolve_one(entry: ClassMapping, tools: dict[str, dict[str, Any]], spec: ModelSpec[Any]) -> ClassTarget:
    kind = spec.classes.get(entry.modelClass)
    if kind is None:
        raise MappingError(
            f"The model has no class {entry.modelClass!r}; its classes are: {', '.join(spec.classes)}."
        )
    tool = tools.get(entry.schemaId)
    if tool is None:
        raise MappingError(
            f"{entry.modelClass!r} is mapped to a label ({entry.schemaId}) that is not a labeling "
            "tool of this project."
        )
    if tool.get("tool") != kind:
        raise MappingError(
            f"{entry.modelClass!r} produces {kind} shapes but is mapped to {tool.get('title')!r}, "
            f"a {tool.get('tool')} tool. Map it to a {kind} tool."
        )
    return ClassTarget(model_class=entry.modelClass, schema_id=entry.schemaId, tool=kind)


def _tools_by_schema_id(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's tools by schemaId: `categorySchema.tools` as documented, or a plain list of
    tools (a plausible other form); ids as strings or numbers."""
    schema = project.get("categorySchema") or {}
    tools = schema.get("tools") if isinstance(schema, dict) else schema
    listed = [tool for tool in tools or () if isinstance(tool, dict)] if isinstance(tools, list) else []
    return {text_of(tool.get("schemaId")): tool for tool in listed if text_of(tool.get("schemaId"))}
