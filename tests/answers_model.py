"""A test model that answers classifications: tags and texts about the whole image, and about each
object it finds (nested), with known scores, for the answer paths' tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from handler.contract.model import ModelSpec, NoConfig, PredictContext, Prediction
from handler.outputs.shapes import BoundingBox, Tag, Text

SPEC = ModelSpec(
    classes={
        "Car": "bounding-box",
        "sedan": "tag",
        "truck": "tag",
        "plate": "text",
        "indoor": "tag",
        "outdoor": "tag",
        "blurred": "tag",
        "too-dark": "tag",
        "caption": "text",
    },
    config=NoConfig,
    description="a car with its type and plate, and the scene, quality and caption of each image (tests)",
    nested={"sedan": "Car", "truck": "Car", "plate": "Car"},
)

SCORES = {"sedan": 0.8, "truck": 0.3, "plate": 0.95, "indoor": 0.4, "outdoor": 0.7, "blurred": 0.9}
SCORES |= {"too-dark": 0.6, "caption": 0.5}


def answers_for(width: int, height: int) -> list[Prediction]:
    def tag(name: str) -> Prediction:
        return Prediction(class_name=name, shape=Tag(), score=SCORES[name])

    car = Prediction(
        class_name="Car",
        shape=BoundingBox(x=width / 10, y=height / 10, width=width / 2, height=height / 2),
        score=0.9,
        answers=(
            tag("sedan"),
            tag("truck"),
            Prediction(class_name="plate", shape=Text(text="AB-123"), score=SCORES["plate"]),
        ),
    )
    caption = Prediction(class_name="caption", shape=Text(text="a car on a street"), score=SCORES["caption"])
    return [car, tag("indoor"), tag("outdoor"), tag("blurred"), tag("too-dark"), caption]


class AnswersModel:
    spec = SPEC

    def predict(
        self, images: Sequence[np.ndarray], context: PredictContext[NoConfig]
    ) -> list[list[Prediction]]:
        return [answers_for(image.shape[1], image.shape[0]) for image in images]


create = AnswersModel
