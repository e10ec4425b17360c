"""A test model with one class of each shape kind, for the output paths' tests: every image gets
one prediction of each class, placed relative to the image's size, so the right answer is known."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from handler.contract.model import ModelSpec, NoConfig, PredictContext, Prediction
from handler.outputs.shapes import (
    BoundingBox,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Segmentation,
    Zone,
)

SPEC = ModelSpec(
    classes={
        "Box": "bounding-box",
        "Turned": "rotated-bounding-box",
        "Outline": "polygon",
        "Lane": "polyline",
        "Spot": "point",
        "Region": "segmentation",
        "Blob": "mask",
    },
    config=NoConfig,
    description="one prediction of each shape kind per image (tests)",
)


def shapes_for(width: int, height: int) -> dict[str, object]:
    w, h = width / 10, height / 10
    blob = np.zeros((height, width), dtype=bool)
    blob[int(2 * h) : int(6 * h), int(2 * w) : int(6 * w)] = True
    blob[int(3 * h) : int(4 * h), int(3 * w) : int(4 * w)] = False  # a hole
    return {
        "Box": BoundingBox(x=w, y=h, width=3 * w, height=2 * h),
        "Turned": RotatedBox(x=4 * w, y=4 * h, width=2 * w, height=h, rotation=30),
        "Outline": Polygon(points=((w, h), (5 * w, h), (3 * w, 5 * h))),
        "Lane": Polyline(points=((0, 9 * h), (5 * w, 8 * h), (10 * w, 9 * h))),
        "Spot": Point(x=5 * w, y=5 * h),
        "Region": Segmentation(zones=(Zone(region=((6 * w, 6 * h), (9 * w, 6 * h), (9 * w, 9 * h))),)),
        "Blob": Mask(mask=blob),
    }


class ShapesModel:
    spec = SPEC

    def predict(
        self, images: Sequence[np.ndarray], context: PredictContext[NoConfig]
    ) -> list[list[Prediction]]:
        predictions = []
        for image in images:
            height, width = image.shape[:2]
            shapes = shapes_for(width, height)
            predictions.append(
                [Prediction(class_name=name, shape=shapes[name], score=0.9) for name in SPEC.classes]
            )
        return predictions


create = ShapesModel
