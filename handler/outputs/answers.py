"""A model's answers (tags and texts) as Ango classification answers, for the whole asset or nested
in one object.

Hub's import names options by their text (DOC-IMP), so a tag's answer is the text of the option its
class is mapped to (`ClassTarget.option`, settled when the run was clicked). Classifications that
hold one answer (radio, single dropdown, text) get the best-scored answer of those mapped to them,
unscored ones after scored ones; checkboxes and multi dropdowns get every option answered, once
each, in the model's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handler.contract.model import Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig
from handler.outputs.shapes import Tag, Text

MULTI_CHOICE = frozenset({"checkbox", "multi-dropdown"})


@dataclass(frozen=True)
class Answers:
    classifications: list[dict[str, Any]]  # the import's classification entries
    answered: tuple[Prediction, ...]  # the predictions behind them, in order
    below_min_score: int = 0
    unmapped: int = 0  # answers of classes not mapped here


def best_first(prediction: Prediction) -> tuple[bool, float]:
    """A sort key: the best scored first, unscored ones after scored ones (a stable sort keeps the
    model's order among equals)."""
    return prediction.score is None, -(prediction.score or 0.0)


def is_answer(prediction: Prediction) -> bool:
    return isinstance(prediction.shape, Tag | Text)


def answers_of(
    predictions: Sequence[Prediction],
    targets: Mapping[str, ClassTarget],
    config: RunConfig | None,
    parent: str | None = None,
) -> Answers:
    """The classification entries for `predictions` (answers only): those of the asset when `parent`
    is None, else those nested in an object of the tool `parent` (a schemaId). Answers of unmapped
    classes, or mapped somewhere else than `parent`, are left out and counted."""
    grouped: dict[str, list[tuple[Prediction, ClassTarget]]] = {}
    below = unmapped = 0
    for prediction in predictions:
        target = targets.get(prediction.class_name)
        if target is None or target.parent != parent:
            unmapped += 1
            continue
        if config and not config.passes_min_score(prediction.class_name, prediction.score):
            below += 1
            continue
        grouped.setdefault(target.schema_id, []).append((prediction, target))
    entries: list[dict[str, Any]] = []
    answered: list[Prediction] = []
    for schema_id, answers in grouped.items():
        if answers[0][1].tool in MULTI_CHOICE:
            values = list(dict.fromkeys(_value(p, t) for p, t in answers))
            entries.append({"schemaId": schema_id, "answer": values})
            answered.extend(p for p, _ in answers)
        else:
            best, target = min(answers, key=lambda pair: best_first(pair[0]))
            entries.append({"schemaId": schema_id, "answer": _value(best, target)})
            answered.append(best)
    return Answers(entries, tuple(answered), below, unmapped)


def _value(prediction: Prediction, target: ClassTarget) -> str:
    if isinstance(prediction.shape, Text):
        return prediction.shape.text
    if target.option is None:  # the mapping gives every tag's class an option (listener/mapping.py)
        raise ValueError(f"class {prediction.class_name!r} is mapped to no option")
    return target.option
