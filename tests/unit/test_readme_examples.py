"""README's "Bring your model" examples run as written: every shape and answer example is a valid
prediction, and the answers example passes the runner's checks against the spec it shows."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

import handler.contract.model as contract
from handler.outputs.prelabels import validate_output
from handler.outputs.shapes import ANSWER_KINDS, ShapeKind

pytestmark = pytest.mark.unit
README = Path(__file__).resolve().parents[2] / "README.md"


def add_your_model_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## Bring your model", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def predictions_of(block: str, namespace: dict[str, Any]) -> list[contract.Prediction]:
    """Runs the block; its expression statements are its examples, evaluated one by one."""
    found = []
    for node in ast.parse(block).body:
        if isinstance(node, ast.Expr):
            found.append(eval(compile(ast.Expression(node.value), "README", "eval"), namespace))
        else:
            exec(compile(ast.Module(body=[node], type_ignores=[]), "README", "exec"), namespace)
    return found


def test_every_example_in_add_your_model_is_a_valid_prediction() -> None:
    shapes_block, answers_block = add_your_model_blocks()
    names = {name: getattr(contract, name) for name in contract.__all__}
    names |= {
        "Prediction": contract.Prediction,
        "ModelSpec": contract.ModelSpec,
        "NoConfig": contract.NoConfig,
    }
    shapes = predictions_of(
        shapes_block, {**names, "probabilities": np.random.default_rng(0).random((60, 80))}
    )
    assert {p.shape.kind for p in shapes} == set(get_args(ShapeKind)) - ANSWER_KINDS  # one of each
    namespace = dict(names)
    answers = predictions_of(answers_block, namespace)
    image = np.zeros((100, 120, 3), dtype=np.uint8)
    assert validate_output([answers], [image], namespace["spec"]) == [answers]
    assert [p.shape.kind for p in answers] == ["tag", "text", "bounding-box"]
    assert [a.shape.kind for a in answers[2].answers] == ["tag", "text"]
