"""The project's ontology (`categorySchema`), indexed by schemaId: its tools, its classifications
(top-level, or nested in a tool or in another classification), their options and its relations.

Hub documents `categorySchema` as `{tools, classifications, relations}` with classifications nested
under `classifications` and options under `options: [{value, schemaId}]` (protocol §5.2); a plain
list of tools is accepted as a plausible other form, and ids may be strings or numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handler.contract.hub_shapes import text_of

Entry = dict[str, Any]


@dataclass(frozen=True)
class Classification:
    entry: Entry
    # The tool it is nested in (its schemaId), or None at the top level.
    tool: str | None
    # True when nested in another classification (an answer that depends on another's answer).
    under_classification: bool = False

    @property
    def kind(self) -> str:
        return str(self.entry.get("tool"))

    @property
    def title(self) -> str:
        return str(self.entry.get("title"))

    @property
    def options(self) -> list[tuple[str, str]]:
        """(schemaId, text) of each option."""
        listed = self.entry.get("options")
        return [
            (text_of(option.get("schemaId")), str(option.get("value")))
            for option in (listed if isinstance(listed, list) else ())
            if isinstance(option, dict) and option.get("value") is not None
        ]

    def options_named(self, name: str) -> list[str]:
        """The texts of its options named like `name`: "Too dark", "too-dark" and "TOO_DARK" are one."""
        return [text for _, text in self.options if _folded(text) == _folded(name)]


def _folded(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text).strip().casefold()


@dataclass(frozen=True)
class Option:
    classification: str  # its classification's schemaId
    text: str


@dataclass
class Ontology:
    tools: dict[str, Entry] = field(default_factory=dict)
    classifications: dict[str, Classification] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict)
    relations: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def of(cls, project: dict[str, Any]) -> Ontology:
        schema = project.get("categorySchema") or {}
        index = cls()
        if isinstance(schema, list):
            schema = {"tools": schema}
        if not isinstance(schema, dict):
            return index
        for tool in _entries(schema.get("tools")):
            index.tools[text_of(tool.get("schemaId"))] = tool
            index._add_classifications(tool, text_of(tool.get("schemaId")), under_classification=False)
        index._add_classifications(schema, None, under_classification=False)
        for relation in _entries(schema.get("relations")):
            index.relations[text_of(relation.get("schemaId"))] = relation
        return index

    def _add_classifications(self, parent: Entry, tool: str | None, under_classification: bool) -> None:
        for entry in _entries(parent.get("classifications")):
            found = Classification(entry, tool, under_classification)
            self.classifications[text_of(entry.get("schemaId"))] = found
            for option_id, text in found.options:
                if option_id:
                    self.options[option_id] = Option(text_of(entry.get("schemaId")), text)
            self._add_classifications(entry, tool, under_classification=True)

    def nested_in(self, tool: str) -> list[tuple[str, Classification]]:
        """The classifications nested directly in the tool `tool` (a schemaId)."""
        return [
            (schema_id, found)
            for schema_id, found in self.classifications.items()
            if found.tool == tool and not found.under_classification
        ]

    def describe(self, schema_id: str) -> str:
        """What `schema_id` is, for a message: "'Type', a radio classification nested in 'Vehicle'"."""
        if schema_id in self.tools:
            tool = self.tools[schema_id]
            return f"{tool.get('title')!r}, a {tool.get('tool')} tool"
        if schema_id in self.options:
            option = self.options[schema_id]
            return f"the option {option.text!r} of {self.describe(option.classification)}"
        if schema_id in self.classifications:
            found = self.classifications[schema_id]
            where = (
                f"nested in {self.tools[found.tool].get('title')!r}"
                if found.tool in self.tools
                else "of this project"
            )
            return f"{found.title!r}, a {found.kind} classification {where}"
        if schema_id in self.relations:
            relation = self.relations[schema_id]
            return f"{relation.get('title')!r}, a {relation.get('tool')} relation of this project"
        return f"a label ({schema_id}) that is not a labeling tool or classification of this project"


def _entries(listed: Any) -> list[Entry]:
    if not isinstance(listed, list):
        return []
    return [entry for entry in listed if isinstance(entry, dict) and text_of(entry.get("schemaId"))]
