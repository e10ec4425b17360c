"""Reading a runtime's spec file (handler/runtimes/onnx/, handler/runtimes/endpoint/): JSON, or YAML
by its suffix, checked against the runtime's pydantic model; every problem becomes one
ModelLoadError naming the file and each key at fault, so a typo fails when the worker starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from handler.contract.model import ModelLoadError

S = TypeVar("S", bound=BaseModel)


def read_spec(path: Path, model: type[S], what: str) -> S:
    """The spec file at `path` as `model`; `what` names it in messages ("ONNX spec file")."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelLoadError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        return model.model_validate(_parse(text, path, what))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ModelLoadError(f"{what} {path}: {problems}") from None


def _parse(text: str, path: Path, what: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ModelLoadError(f"{path} is YAML: pip install pyyaml, or write it as JSON") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ModelLoadError(f"{what} {path} is not valid YAML: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{what} {path} is not valid JSON: {exc}") from None


def named_once(classes: list[str]) -> list[str]:
    """A spec's class names (by class id): none blank, none twice (a ValueError for pydantic)."""
    if any(not name.strip() for name in classes):
        raise ValueError("class names must not be blank")
    twice = sorted({name for name in classes if classes.count(name) > 1})
    if twice:
        raise ValueError(f"class names must be unique, repeated: {twice}")
    return classes
