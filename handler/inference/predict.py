"""One model call: serialised per process (unless the model says it takes calls at once), the jobs
taking turns (model_turns.py), timed, and its answer checked before anything is used."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from handler.contract import telemetry
from handler.contract.model import EncodedImage, Image, PredictContext, Prediction
from handler.deps import Deps
from handler.inference.tally import JobTally
from handler.outputs.prelabels import validate_output


def predict_checked(
    items: Sequence[Image | EncodedImage | str],
    context: PredictContext[Any],
    deps: Deps,
    tally: JobTally,
    place: int,
) -> list[list[Prediction]]:
    """The model's predictions for one batch of images (or texts), one list per item; raises
    BadModelOutputError for an answer that breaks the contract, and whatever the model raised.
    `place`: the job's place in its run (`job_place`), which orders the process's turns at the model."""
    # A model that only waits (an endpoint's requests) takes calls from several jobs at once, so its
    # requests stay in flight across batches; any other waits its turn at the process's one model.
    concurrent = getattr(deps.model, "concurrent", False)
    turn = nullcontext() if concurrent else deps.model_turns.take(context.run_id, place)
    with turn, telemetry.timed("ModelSecondsPerImage", per=len(items)), tally.timed("model"):
        raw = deps.model.predict(items, context)
    return validate_output(raw, items, deps.model_factory.spec)
