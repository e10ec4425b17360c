"""The runner serialises model calls in a process, except for a model that says `concurrent`
(the endpoint runtime): two jobs' calls then overlap, so its requests stay in flight across batches."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from handler.contract.model import PredictContext
from handler.inference.model_turns import ModelTurns
from handler.inference.predict import predict_checked
from handler.inference.tally import JobTally
from handler.runtimes.endpoint.model import EndpointModel

pytestmark = pytest.mark.unit


class Waiting:
    """A model that waits 0.2 s a call and counts the calls under way at once."""

    def __init__(self, concurrent: bool) -> None:
        self.concurrent = concurrent
        self.now = self.most = 0
        self._lock = threading.Lock()

    def predict(self, images: Any, context: Any) -> list[list[Any]]:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.2)
        with self._lock:
            self.now -= 1
        return [[] for _ in images]


class Deps:
    def __init__(self, model: Waiting) -> None:
        self.model, self.model_turns = model, ModelTurns()
        self.model_factory = type("Factory", (), {"spec": type("Spec", (), {"classes": {}, "nested": {}})()})


def most_at_once(concurrent: bool) -> int:
    model = Waiting(concurrent)
    deps = Deps(model)
    calls = [
        threading.Thread(target=predict_checked, args=(["text"], PredictContext(None), deps, JobTally(), 0))
        for _ in range(3)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    return model.most


def test_calls_are_one_at_a_time_unless_the_model_takes_them_at_once() -> None:
    assert most_at_once(concurrent=False) == 1
    assert most_at_once(concurrent=True) == 3


def test_the_endpoint_model_takes_calls_at_once() -> None:
    assert EndpointModel.concurrent is True
