"""A model for the poison test: the fixed-latency stand-in, except that an all-red image kills the
process outright, as a model that segfaults or runs out of GPU memory on one asset would. No
exception is raised that the handler could catch: the worker dies mid-job, every time."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence

import numpy as np

from handler.contract.model import Image, PredictContext, Prediction
from handler.models.fixed_latency import FixedLatencyModel

POISON_RGB = (255, 0, 0)  # seeded as a lossless PNG; decoders differ on channel order, so any


def is_poison(image: Image) -> bool:
    """A solid image of pure red (in whichever channel order the decoder gave)."""
    lowest, highest = image.min(axis=(0, 1)), image.max(axis=(0, 1))
    return bool(np.array_equal(lowest, highest) and sorted(highest.tolist()) == sorted(POISON_RGB))


class PoisonModel(FixedLatencyModel):
    def predict(self, images: Sequence[Image], context: PredictContext) -> list[list[Prediction]]:
        if any(is_poison(image) for image in images):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().predict(images, context)


create = PoisonModel
