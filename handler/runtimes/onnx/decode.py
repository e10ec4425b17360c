"""The network's output side: the file's outputs checked against the spec's layout, and one image's
outputs turned into predictions in that image's pixels.

The same shape check runs on the file's declared shapes when the worker starts (symbolic dimensions
pass) and on the arrays of every run (where they are known), so a wrong layout is refused up front
and a dynamic one that turns out wrong fails its batch with the same message, not with garbage boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from handler.contract.model import BoundingBox, Mask, ModelLoadError, Prediction, Tag
from handler.runtimes.onnx.preprocess import Dim, Geometry, TensorInfo, format_shape
from handler.runtimes.onnx.spec_file import (
    ClassificationOutput,
    DetectionOutput,
    SegmentationOutput,
)

Array = npt.NDArray[Any]
Output = DetectionOutput | ClassificationOutput | SegmentationOutput


class OutputShapeError(ValueError):
    """A run's output does not have the shape the spec's layout expects."""


@dataclass(frozen=True)
class _Expected:
    rank: int
    words: str  # "[N, boxes, 5 + 3 classes]"
    fixed: dict[int, int] = field(default_factory=dict)  # axis -> size

    def matches(self, shape: Sequence[Dim]) -> bool:
        return len(shape) == self.rank and all(
            not isinstance(shape[axis], int) or shape[axis] == size for axis, size in self.fixed.items()
        )

    def __str__(self) -> str:
        dims = ["N", *(str(self.fixed.get(axis, "*")) for axis in range(1, self.rank))]
        return f"{self.words} = [{', '.join(dims)}]"


def _expected(output: Output, n: int) -> list[list[_Expected]]:
    """For each output the layout reads, the shapes it may have."""
    if isinstance(output, ClassificationOutput):
        return [[_Expected(2, f"[N, {n} classes]", {1: n})]]
    if isinstance(output, SegmentationOutput):
        return [[_Expected(4, f"[N, {n} classes, H, W]", {1: n}), _Expected(3, "[N, H, W] class ids")]]
    if output.layout == "yolov5":
        return [[_Expected(3, f"[N, boxes, 5 + {n} classes]", {2: 5 + n})]]
    if output.layout == "yolov8":
        return [[_Expected(3, f"[N, 4 + {n} classes, boxes]", {1: 4 + n})]]
    return [
        [_Expected(3, "[N, K, 4] boxes", {2: 4})],
        [_Expected(2, "[N, K] scores")],
        [_Expected(2, "[N, K] class ids")],
    ]


def _mismatch(output: Output, n: int, index: int, name: str, shape: Sequence[Dim]) -> str | None:
    allowed = _expected(output, n)[index]
    if any(expected.matches(shape) for expected in allowed):
        return None
    what = f"layout {output.layout}" if isinstance(output, DetectionOutput) else f"kind {output.kind}"
    wanted = " or ".join(str(expected) for expected in allowed)
    return f"output {index} ({name!r}) has shape {format_shape(shape)}: {what} expects {wanted}"


@dataclass(frozen=True)
class Decoder:
    output: Output
    classes: tuple[str, ...]
    names: tuple[str, ...]  # the file's outputs read, in the layout's order

    @classmethod
    def for_file(cls, output: Output, classes: Sequence[str], outputs: Sequence[TensorInfo]) -> Decoder:
        """The decoder, or ModelLoadError saying what the layout expects and what the file has."""
        wanted = len(_expected(output, len(classes)))
        by_name = {info.name: info for info in outputs}
        names = output.outputs or [info.name for info in outputs[:wanted]]
        have = ", ".join(repr(info.name) for info in outputs)
        if len(names) != wanted:
            given = f"output.outputs names {len(names)}" if output.outputs else f"the file has {have}"
            raise ModelLoadError(f"{output.kind} {_layout(output)}reads {wanted} outputs; {given}")
        for index, name in enumerate(names):
            if name not in by_name:
                raise ModelLoadError(f"output {name!r} is not an output of the file; its outputs: {have}")
            problem = _mismatch(output, len(classes), index, name, by_name[name].shape)
            if problem:
                raise ModelLoadError(problem)
        return cls(output, tuple(classes), tuple(names))

    def check(self, arrays: Sequence[Array], images: int) -> None:
        """Raise OutputShapeError for a run's outputs that the layout cannot read."""
        for index, (name, array) in enumerate(zip(self.names, arrays, strict=True)):
            problem = _mismatch(self.output, len(self.classes), index, name, array.shape)
            if problem is None and array.shape[0] < images:
                problem = f"output {index} ({name!r}) has {array.shape[0]} rows for {images} images"
            if problem:
                raise OutputShapeError(problem)

    def __call__(
        self, rows: Sequence[Array], geometry: Geometry, threshold: float | None
    ) -> list[Prediction]:
        """One image's predictions from its rows of the outputs (`rows[k]` = output k's row)."""
        if isinstance(self.output, ClassificationOutput):
            return _classes(self.output, self.classes, rows[0], threshold)
        if isinstance(self.output, SegmentationOutput):
            return _masks(self.output, self.classes, rows[0], geometry)
        return _detections(self.output, self.classes, rows, geometry, threshold)


def _layout(output: Output) -> str:
    return f"layout {output.layout} " if isinstance(output, DetectionOutput) else ""


def _detections(
    output: DetectionOutput,
    classes: tuple[str, ...],
    rows: Sequence[Array],
    geometry: Geometry,
    threshold: float | None,
) -> list[Prediction]:
    xyxy, scores, ids = _candidates(output.layout, rows)
    keep = (
        (scores >= (output.score_threshold if threshold is None else threshold))
        & (ids >= 0)
        & (ids < len(classes))
    )
    xyxy, scores, ids = xyxy[keep], scores[keep], ids[keep]
    if output.layout == "nms":
        order = np.argsort(-scores, kind="stable")[: output.max_detections]
    else:
        order = non_max_suppression(xyxy, scores, ids, output.iou_threshold, output.max_detections)
    boxes = geometry.to_image_boxes(xyxy[order])
    return [
        Prediction(
            class_name=classes[int(ids[i])],
            shape=BoundingBox(x=float(x1), y=float(y1), width=float(x2 - x1), height=float(y2 - y1)),
            score=float(np.clip(scores[i], 0, 1)),
        )
        for i, (x1, y1, x2, y2) in zip(order, boxes, strict=True)
        if x2 > x1 and y2 > y1  # a box wholly outside the image is clipped to nothing
    ]


def _candidates(layout: str, rows: Sequence[Array]) -> tuple[Array, Array, Array]:
    """Boxes x1, y1, x2, y2, their scores and class ids, in input pixels."""
    if layout == "nms":
        boxes, scores, ids = (np.asarray(row) for row in rows)
        return boxes.astype(np.float64), scores.astype(np.float64), np.rint(ids).astype(np.int64)
    table = np.asarray(rows[0], dtype=np.float64)
    if layout == "yolov8":
        table, class_scores = table.T, table.T[:, 4:]
    else:
        class_scores = table[:, 5:] * table[:, 4:5]  # objectness x class score, as YOLOv5 ranks them
    ids = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(ids)), ids]
    cx, cy, half_w, half_h = table[:, 0], table[:, 1], table[:, 2] / 2, table[:, 3] / 2
    return np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1), scores, ids


def non_max_suppression(
    xyxy: Array, scores: Array, ids: Array, iou_threshold: float, limit: int
) -> npt.NDArray[np.intp]:
    """Indices of the boxes kept, best first: a box is dropped when it overlaps a better one of
    its class by more than `iou_threshold` (boxes of different classes are shifted apart)."""
    boxes = np.asarray(xyxy, dtype=np.float64)
    if len(boxes):
        boxes = boxes + (ids * (boxes.max() - boxes.min() + 1))[:, None]
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    order, keep = np.argsort(-np.asarray(scores), kind="stable"), list[int]()
    while order.size and len(keep) < limit:
        best, rest = order[0], order[1:]
        keep.append(best)
        width = np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0])
        height = np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1])
        inter = np.clip(width, 0, None) * np.clip(height, 0, None)
        union = areas[best] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)


def _classes(
    output: ClassificationOutput, classes: tuple[str, ...], row: Array, threshold: float | None
) -> list[Prediction]:
    scores = np.asarray(row, dtype=np.float64)
    if output.softmax:
        exp = np.exp(scores - scores.max())
        scores = exp / exp.sum()
    least = output.min_score if threshold is None else threshold
    best = np.argsort(-scores, kind="stable")[: output.top_k]
    return [
        Prediction(class_name=classes[i], shape=Tag(), score=float(np.clip(scores[i], 0, 1)))
        for i in best
        if scores[i] >= least
    ]


def _masks(
    output: SegmentationOutput, classes: tuple[str, ...], row: Array, geometry: Geometry
) -> list[Prediction]:
    """One mask per class present, over the original image (class ids outside the classes ignored)."""
    table = np.asarray(row)
    labels = table.argmax(axis=0) if table.ndim == 3 else np.rint(table).astype(np.int64)
    labels = geometry.to_image_map(labels)
    return [
        Prediction(class_name=classes[class_id], shape=Mask(mask=labels == class_id))
        for class_id in (int(value) for value in np.unique(labels))
        if 0 <= class_id < len(classes) and class_id != output.background
    ]
