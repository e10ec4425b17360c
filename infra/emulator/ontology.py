"""Lookups into a project's `categorySchema` by `schemaId`, and answer checks for classifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Category = dict[str, Any]

_SINGLE_CHOICE = frozenset({"radio", "single-dropdown"})
_MULTI_CHOICE = frozenset({"checkbox", "multi-dropdown"})
_CLASSIFICATION_KEYS = frozenset({"schemaId", "answer", "classifications", "lock", "title"})


def _by_schema_id(categories: Any) -> dict[str, Category]:
    if not isinstance(categories, list):
        return {}
    return {c["schemaId"]: c for c in categories if isinstance(c, dict) and "schemaId" in c}


@dataclass(frozen=True)
class Ontology:
    tools: dict[str, Category]
    classifications: dict[str, Category]
    relations: dict[str, Category]

    @classmethod
    def of(cls, category_schema: dict[str, Any]) -> Ontology:
        return cls(
            tools=_by_schema_id(category_schema.get("tools")),
            classifications=_by_schema_id(category_schema.get("classifications")),
            relations=_by_schema_id(category_schema.get("relations")),
        )


def nested(category: Category) -> dict[str, Category]:
    """Classifications nested in a tool or classification have their own schemaIds (DOC-IMP)."""
    return _by_schema_id(category.get("classifications"))


def check_classification(value: Any, allowed: dict[str, Category]) -> str | None:
    """None when `value` is a valid classification answer among `allowed`, else the problem."""
    if not isinstance(value, dict):
        return "classification must be an object"
    unknown = set(value) - _CLASSIFICATION_KEYS
    if unknown:
        return f"classification has unknown keys {sorted(unknown)}"
    category = allowed.get(value.get("schemaId"))  # type: ignore[arg-type]
    if category is None:
        return f"classification schemaId {value.get('schemaId')!r} is not defined here"
    problem = _check_answer(category, value.get("answer"))
    if problem:
        return f"classification {value['schemaId']}: {problem}"
    children = value.get("classifications", [])
    if not isinstance(children, list):
        return "nested classifications must be a list"
    inner = nested(category)
    return next((p for p in (check_classification(c, inner) for c in children) if p), None)


def _check_answer(category: Category, answer: Any) -> str | None:
    is_text = isinstance(answer, str)
    is_list = isinstance(answer, list) and all(isinstance(a, str) for a in answer)
    if not (is_text or is_list):
        return "answer must be a string or a list of strings"
    kind = category.get("tool")
    options = {str(o.get("value")) for o in category.get("options", []) if isinstance(o, dict)}
    if kind in _SINGLE_CHOICE and (not is_text or (options and answer not in options)):
        return f"answer must be one of {sorted(options)} (by option text)"
    if kind in _MULTI_CHOICE and (not is_list or (options and not set(answer) <= options)):
        return f"answer must be a list drawn from {sorted(options)}"
    if kind == "text" and not is_text:
        return "a text answer must be a string"
    return None
