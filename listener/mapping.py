"""Resolving the user's class mapping (`categorySchema`) against the project's ontology.

A model class may be mapped to a tool (its shapes fill it, converted where that invents nothing), to
a classification, or to one option of a classification (its tags answer that option; mapped to the
classification itself, the option named like the class). An answer class the model gives about an
object (`spec.nested`) fills a classification nested in the tool its object class is mapped to; left
unmapped, it fills that tool's only nested classification that can take it, if there is exactly one.
Anything the import would reject refuses the run here, naming the class, the label and what works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handler.contract.model import ModelSpec, ShapeKind
from handler.contract.records import ClassTarget
from handler.outputs.conversions import CHOICE_KINDS, TOOLS_FOR, can_fill
from listener.ontology import Classification, Ontology
from listener.payload import ClassMapping

ANSWER_TOOLS = (*CHOICE_KINDS, "text")  # the classifications a tag or a text fills


class MappingError(ValueError):
    """The mapping cannot work; the message is meant for the user."""


def resolve_targets(
    mapping: Sequence[ClassMapping] | None, project: dict[str, Any], spec: ModelSpec[Any]
) -> tuple[ClassTarget, ...]:
    """Each mapped model class with its project label; refuse anything the import would reject."""
    if not mapping:
        classes = ", ".join(spec.classes)
        raise MappingError(
            f"Please complete class mapping: map the model's classes ({classes}) to labels of "
            "your project, then run again."
        )
    ontology = Ontology.of(project)
    resolved = [_resolve_one(entry, ontology, spec) for entry in mapping]
    _check_mapped_once(resolved)
    # A class may have a PDF tool for PDF pages beside its label for everything else; answers about
    # its objects follow that other label when it has one.
    targets = {t.model_class: t for t in resolved if t.tool == "pdf"}
    targets.update({t.model_class: t for t in resolved if t.tool != "pdf"})
    for target in list(targets.values()):
        _check_placement(target, targets, ontology, spec)
    implied = _implied_answers(targets, ontology, spec)
    pdf_beside = [t for t in resolved if t.tool == "pdf" and targets[t.model_class] is not t]
    return (*targets.values(), *implied.values(), *pdf_beside)


def _check_mapped_once(resolved: Sequence[ClassTarget]) -> None:
    """One label per class, except that a class may also have a PDF tool (its areas on PDF pages)."""
    seen: set[tuple[str, bool]] = set()
    for target in resolved:
        key = (target.model_class, target.tool == "pdf")
        if key in seen:
            raise MappingError(
                f"{target.model_class!r} is mapped to two labels; map it to one (and, for PDF pages, "
                "to one PDF tool besides)."
            )
        seen.add(key)


def what_fills(kind: ShapeKind) -> str:
    """The labels a class of `kind` can be mapped to, for messages and `plugin-info`."""
    if kind == "tag":
        return f"an option of a {_or(CHOICE_KINDS)} classification"
    if kind == "text":
        return "a text classification"
    return f"a {_or(TOOLS_FOR[kind])} tool"


def _resolve_one(entry: ClassMapping, ontology: Ontology, spec: ModelSpec[Any]) -> ClassTarget:
    name, schema_id = entry.modelClass, entry.schemaId
    kind = spec.classes.get(name)
    if kind is None:
        raise MappingError(f"The model has no class {name!r}; its classes are: {', '.join(spec.classes)}.")
    refusal = MappingError(
        f"{name!r} produces {kind} {'answers' if kind in ('tag', 'text') else 'shapes'} but is mapped "
        f"to {ontology.describe(schema_id)}. Map it to {what_fills(kind)}."
    )
    if kind == "tag":
        return _tag_target(name, schema_id, ontology, refusal)
    if kind == "text":
        found = ontology.classifications.get(schema_id)
        if found is None or found.kind != "text":
            raise refusal
        return ClassTarget(model_class=name, schema_id=schema_id, tool="text", parent=found.tool)
    tool = ontology.tools.get(schema_id)
    if tool is None or not can_fill(kind, str(tool.get("tool"))):
        raise refusal
    return ClassTarget(model_class=name, schema_id=schema_id, tool=tool["tool"])


def _tag_target(name: str, schema_id: str, ontology: Ontology, refusal: MappingError) -> ClassTarget:
    """A tag answers one option: the one it is mapped to, or, mapped to a classification, the option
    named like the class."""
    if schema_id in ontology.options:
        option = ontology.options[schema_id]
        schema_id, text = option.classification, option.text
        found = ontology.classifications[schema_id]
    else:
        found_or_none = ontology.classifications.get(schema_id)
        if found_or_none is None or found_or_none.kind not in CHOICE_KINDS:
            raise refusal
        found = found_or_none
        named = found.options_named(name)
        if len(named) != 1:
            options = ", ".join(repr(text) for _, text in found.options) or "none"
            raise MappingError(
                f"{name!r} is mapped to {ontology.describe(schema_id)}, which has no option named "
                f"{name!r} (its options: {options}); map {name!r} to one of its options."
            )
        text = named[0]
    if found.kind not in CHOICE_KINDS:
        raise refusal
    return ClassTarget(model_class=name, schema_id=schema_id, tool=found.kind, option=text, parent=found.tool)


def _check_placement(
    target: ClassTarget, targets: dict[str, ClassTarget], ontology: Ontology, spec: ModelSpec[Any]
) -> None:
    """An answer about the asset fills a top-level classification; one about an object fills a
    classification nested in the tool its object class is mapped to."""
    if target.tool not in ANSWER_TOOLS:
        return
    name, label = target.model_class, ontology.describe(target.schema_id)
    found = ontology.classifications[target.schema_id]
    if found.under_classification:
        raise MappingError(
            f"{name!r} is mapped to {label}, which is nested in another classification; map it to a "
            "classification of the asset or of a tool."
        )
    owner = spec.nested.get(name)
    if owner is None:
        if target.parent is not None:
            raise MappingError(
                f"{name!r} answers about the whole asset but is mapped to {label}; map it to a "
                "classification of the asset, not one nested in a tool."
            )
        return
    owner_target = targets.get(owner)
    if owner_target is None or owner_target.tool in ANSWER_TOOLS:
        raise MappingError(
            f"{name!r} answers about each {owner!r} object; map {owner!r} to a tool too, then {name!r} "
            "to a classification nested in that tool."
        )
    if target.parent != owner_target.schema_id:
        raise MappingError(
            f"{name!r} answers about each {owner!r} object but is mapped to {label}; map it to a "
            f"classification nested in {ontology.describe(owner_target.schema_id)}."
        )


def _implied_answers(
    targets: dict[str, ClassTarget], ontology: Ontology, spec: ModelSpec[Any]
) -> dict[str, ClassTarget]:
    """Unmapped answer classes about mapped objects, each given the one classification nested in
    its object's tool that can take it (Hub's mapping dialog may offer only top-level labels)."""
    implied = {}
    for name, owner in spec.nested.items():
        owner_target = targets.get(owner)
        if name in targets or owner_target is None:
            continue
        fits = [
            target
            for schema_id, found in ontology.nested_in(owner_target.schema_id)
            if (target := _fit(name, spec.classes[name], schema_id, found)) is not None
        ]
        if len(fits) == 1:
            implied[name] = fits[0]
    return implied


def _fit(name: str, kind: ShapeKind, schema_id: str, found: Classification) -> ClassTarget | None:
    if kind == "text" and found.kind == "text":
        return ClassTarget(model_class=name, schema_id=schema_id, tool="text", parent=found.tool)
    if kind == "tag" and found.kind in CHOICE_KINDS:
        named = found.options_named(name)
        if len(named) == 1:
            return ClassTarget(
                model_class=name, schema_id=schema_id, tool=found.kind, option=named[0], parent=found.tool
            )
    return None


def _or(kinds: Sequence[str]) -> str:
    return " or ".join(kinds)
