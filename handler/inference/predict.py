"""One model call: serialised per process, timed, and its answer checked before anything is used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handler.contract import telemetry
from handler.contract.model import Image, PredictContext, Prediction
from handler.deps import Deps
from handler.inference.tally import JobTally
from handler.outputs.prelabels import validate_output


def predict_checked(
    items: Sequence[Image | str], context: PredictContext[Any], deps: Deps, tally: JobTally
) -> list[list[Prediction]]:
    """The model's predictions for one batch of images (or texts), one list per item; raises
    BadModelOutputError for an answer that breaks the contract, and whatever the model raised."""
    with deps.model_lock, telemetry.timed("ModelSecondsPerImage", per=len(items)), tally.timed("model"):
        raw = deps.model.predict(items, context)
    return validate_output(raw, items, deps.model_factory.spec)
