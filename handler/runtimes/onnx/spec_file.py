"""The ONNX runtime's spec file: what a user writes beside an ONNX file instead of Python.

It says how an image becomes the network's input (size, layout, channel order, normalisation) and
how the network's outputs become predictions (detections in one of three layouts, a classification
or a segmentation), with the class names by index. It is read as JSON, or YAML by its suffix, and
checked strictly (unknown keys refused) so that a typo fails when the worker starts, not silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handler.runtimes.spec_files import named_once, read_spec

Triple = tuple[float, float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class InputSpec(_Strict):
    """How each image becomes the network's input. Pixels are read as `pixel * scale`, then
    `(value - mean) / std` per channel, in the order `channels` names."""

    name: str | None = None  # default: the file's only input
    size: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] | None = None  # width, height
    letterbox: bool | None = None  # default: true for detections, false otherwise
    pad_value: int = Field(114, ge=0, le=255)  # letterbox border, in pixels (YOLO's grey)
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    channels: Literal["RGB", "BGR"] = "RGB"
    scale: float = Field(1 / 255, gt=0)
    mean: Triple = (0.0, 0.0, 0.0)
    std: Triple = (1.0, 1.0, 1.0)
    dtype: Literal["float32", "float16"] = "float32"

    @field_validator("mean", "std", mode="before")
    @classmethod
    def _one_for_all(cls, value: Any) -> Any:
        """A single number applies to the three channels."""
        return (value, value, value) if isinstance(value, int | float) else value

    @field_validator("std")
    @classmethod
    def _no_zero(cls, std: Triple) -> Triple:
        if 0 in std:
            raise ValueError("std must not be 0")
        return std


class _Output(_Strict):
    # The file's outputs to read, by name, in the order the layout lists them; default: the file's
    # first outputs, in its order.
    outputs: list[str] | None = None


class DetectionOutput(_Output):
    """Boxes. `yolov5`: one output [N, boxes, 5 + C] of cx, cy, w, h, objectness, C class scores.
    `yolov8`: one output [N, 4 + C, boxes] of cx, cy, w, h, C class scores (transposed, no
    objectness). `nms`: a model that did its own NMS, three outputs: boxes [N, K, 4] as x1, y1, x2,
    y2; scores [N, K]; class ids [N, K]. Coordinates are pixels of the network's input."""

    kind: Literal["detections"]
    layout: Literal["yolov5", "yolov8", "nms"]
    score_threshold: float = Field(0.25, ge=0, le=1)
    iou_threshold: float = Field(0.45, gt=0, le=1)  # NMS, per class; not applied to `nms`
    max_detections: int = Field(300, ge=1)


class ClassificationOutput(_Output):
    """One output [N, C] of logits (`softmax: true`) or probabilities (`softmax: false`)."""

    kind: Literal["classification"]
    softmax: bool = True
    top_k: int = Field(1, ge=1)
    min_score: float = Field(0.0, ge=0, le=1)


class SegmentationOutput(_Output):
    """One output [N, C, H, W] of class logits, or [N, H, W] of class ids, over the network's input;
    `background` names the class id that gets no mask."""

    kind: Literal["segmentation"]
    background: int | None = Field(None, ge=0)


OutputSpec = Annotated[
    DetectionOutput | ClassificationOutput | SegmentationOutput, Field(discriminator="kind")
]


class OnnxSpecFile(_Strict):
    model: str | None = None  # a path (relative to this file) or s3://bucket/key
    input: InputSpec = InputSpec()
    output: OutputSpec
    classes: list[str] = Field(min_length=1)  # by class id
    batch: int | None = Field(None, ge=1)  # at most this many images per run; a fixed N wins

    @field_validator("classes")
    @classmethod
    def _named_once(cls, classes: list[str]) -> list[str]:
        return named_once(classes)

    @model_validator(mode="after")
    def _background_is_a_class(self) -> OnnxSpecFile:
        output = self.output
        if isinstance(output, SegmentationOutput) and output.background is not None:
            if output.background >= len(self.classes):
                raise ValueError(
                    f"background {output.background} is not a class id (0..{len(self.classes) - 1})"
                )
            if len(self.classes) == 1:
                raise ValueError("a segmentation needs a class besides the background")
        return self

    @property
    def letterbox(self) -> bool:
        """Detections keep the aspect ratio by default (YOLO's training); others stretch."""
        if self.input.letterbox is not None:
            return self.input.letterbox
        return self.output.kind == "detections"


def read_spec_file(path: Path) -> OnnxSpecFile:
    """The spec file at `path`, checked; ModelLoadError naming the file and each problem."""
    return read_spec(path, OnnxSpecFile, "ONNX spec file")


class OnnxConfig(BaseModel):
    """Settable per run in the plugin's Config JSON under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    score_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="least score kept: a detection's (instead of the spec file's score_threshold) or "
        "a classification's (instead of its min_score); null keeps the spec file's",
    )
