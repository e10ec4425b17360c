"""The network's input side: the file's input checked against the spec, images turned into one
input tensor, and the geometry that maps the network's pixels back to each original image.

Undoing the resize exactly is what makes a detector's boxes land where the objects are: the scale
kept is the one the resized image really got (its rounded size over the original's), per axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from handler.contract.model import Image, ModelLoadError
from handler.runtimes.onnx.spec_file import OnnxSpecFile

Floats = npt.NDArray[np.float32]
Dim = int | str | None  # ONNX Runtime's dimensions: a size, a symbolic name, or unknown
ONNX_TYPES = {"float32": "tensor(float)", "float16": "tensor(float16)"}


class TensorInfo(Protocol):
    """What ONNX Runtime says about one of a file's inputs or outputs (its `NodeArg`)."""

    @property
    def name(self) -> str: ...
    @property
    def shape(self) -> Sequence[Dim]: ...
    @property
    def type(self) -> str: ...


def format_shape(shape: Sequence[Dim]) -> str:
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape) + "]"


@dataclass(frozen=True)
class Geometry:
    """Where one original image lies in the network's input: resized by scale_x, scale_y, then
    shifted by pad_x, pad_y (the letterbox border)."""

    width: int
    height: int
    input_width: int
    input_height: int
    scale_x: float
    scale_y: float
    pad_x: int = 0
    pad_y: int = 0

    def to_image_boxes(self, xyxy: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """Boxes x1, y1, x2, y2 in input pixels -> original pixels, clipped to the image."""
        boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        x = (boxes[:, 0::2] - self.pad_x) / self.scale_x
        y = (boxes[:, 1::2] - self.pad_y) / self.scale_y
        out = np.empty_like(boxes)
        out[:, 0::2] = np.clip(x, 0, self.width)
        out[:, 1::2] = np.clip(y, 0, self.height)
        return out

    def to_image_map(self, labels: npt.NDArray[np.integer]) -> npt.NDArray[np.integer]:
        """A label map over the network's input (at any resolution) -> one over the original image:
        each original pixel takes the label under its centre (nearest, no blur across classes)."""
        rows, cols = labels.shape
        xs = (np.arange(self.width) + 0.5) * self.scale_x + self.pad_x
        ys = (np.arange(self.height) + 0.5) * self.scale_y + self.pad_y
        col = np.clip((xs * cols / self.input_width).astype(np.int64), 0, cols - 1)
        row = np.clip((ys * rows / self.input_height).astype(np.int64), 0, rows - 1)
        mapped: npt.NDArray[np.integer] = labels[row[:, None], col[None, :]]
        return mapped


@dataclass(frozen=True)
class InputPlan:
    """How images become the input tensor, settled against the file when the model is created."""

    name: str
    width: int
    height: int
    batch: int | None  # images per run: a fixed N (padded up to), or the spec's cap, or any
    fixed_batch: bool
    letterbox: bool
    pad_value: int
    layout: Literal["NCHW", "NHWC"]
    rgb: bool
    multiply: Floats  # scale / std, per channel in the network's order
    subtract: Floats  # mean / std
    dtype: type[np.floating]

    def tensor(self, images: Sequence[Image]) -> tuple[npt.NDArray[np.floating], list[Geometry]]:
        """One input tensor for `images` (padded with blank images to a fixed batch)."""
        arrays, geometries = zip(*(self._one(image) for image in images), strict=True)
        stacked = np.stack(arrays)
        if self.fixed_batch and self.batch and len(arrays) < self.batch:
            blank = np.zeros((self.batch - len(arrays), *stacked.shape[1:]), dtype=stacked.dtype)
            stacked = np.concatenate([stacked, blank])
        return stacked.astype(self.dtype, copy=False), list(geometries)

    def _one(self, image: Image) -> tuple[Floats, Geometry]:
        resized, geometry = self._resize(image)
        if self.rgb:
            resized = resized[:, :, ::-1]
        values = resized.astype(np.float32) * self.multiply - self.subtract
        if self.layout == "NCHW":
            values = values.transpose(2, 0, 1)
        return np.ascontiguousarray(values), geometry

    def _resize(self, image: Image) -> tuple[Image, Geometry]:
        import cv2

        height, width = image.shape[:2]
        if self.letterbox:
            ratio = min(self.width / width, self.height / height)
            new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
        else:
            new_w, new_h = self.width, self.height
        resized: Image = image
        if (new_w, new_h) != (width, height):
            resized = np.asarray(cv2.resize(image, (new_w, new_h)), dtype=np.uint8)
        pad_x, pad_y = (self.width - new_w) // 2, (self.height - new_h) // 2
        if (new_w, new_h) != (self.width, self.height):
            canvas = np.full((self.height, self.width, 3), self.pad_value, dtype=np.uint8)
            canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
            resized = canvas
        geometry = Geometry(
            width, height, self.width, self.height, new_w / width, new_h / height, pad_x, pad_y
        )
        return resized, geometry


def plan_input(spec: OnnxSpecFile, inputs: Sequence[TensorInfo]) -> InputPlan:
    """The input plan, or ModelLoadError saying what the spec expects and what the file has."""
    info = _the_input(spec.input.name, inputs)
    shape = list(info.shape)
    channel_axis = 1 if spec.input.layout == "NCHW" else 3
    expected = "[N, 3, height, width]" if spec.input.layout == "NCHW" else "[N, height, width, 3]"
    where = f"input {info.name!r} has shape {format_shape(shape)}"
    if len(shape) != 4 or _fixed(shape[channel_axis]) not in (3, None):
        raise ModelLoadError(f"{where}: layout {spec.input.layout} expects {expected}")
    wanted_type = ONNX_TYPES[spec.input.dtype]
    if info.type != wanted_type:
        dtype = spec.input.dtype
        raise ModelLoadError(f"input {info.name!r} is {info.type}: dtype {dtype} expects {wanted_type}")
    width, height = _size(spec, shape, where)
    batch = _fixed(shape[0])
    if batch is not None and spec.batch not in (None, batch):
        raise ModelLoadError(
            f"{where}: its batch is fixed at {batch}, the spec's batch {spec.batch} cannot run"
        )
    std = np.asarray(spec.input.std, dtype=np.float32)
    return InputPlan(
        name=info.name,
        width=width,
        height=height,
        batch=batch or spec.batch,
        fixed_batch=batch is not None,
        letterbox=spec.letterbox,
        pad_value=spec.input.pad_value,
        layout=spec.input.layout,
        rgb=spec.input.channels == "RGB",
        multiply=(spec.input.scale / std).astype(np.float32),
        subtract=(np.asarray(spec.input.mean, dtype=np.float32) / std).astype(np.float32),
        dtype=np.float16 if spec.input.dtype == "float16" else np.float32,
    )


def _fixed(dim: Dim) -> int | None:
    """A dimension's size, or None where the file leaves it open (a name, or unknown)."""
    return dim if isinstance(dim, int) and dim > 0 else None


def _the_input(name: str | None, inputs: Sequence[TensorInfo]) -> TensorInfo:
    names = ", ".join(repr(info.name) for info in inputs)
    if name is None:
        if len(inputs) != 1:
            raise ModelLoadError(f"the file has {len(inputs)} inputs ({names}): name one as input.name")
        return inputs[0]
    for info in inputs:
        if info.name == name:
            return info
    raise ModelLoadError(f"input.name {name!r} is not an input of the file; its inputs: {names}")


def _size(spec: OnnxSpecFile, shape: list[Dim], where: str) -> tuple[int, int]:
    """(width, height): the spec's, which must equal the file's where the file fixes them."""
    axes = (3, 2) if spec.input.layout == "NCHW" else (2, 1)
    fixed_width, fixed_height = (_fixed(shape[axis]) for axis in axes)
    if spec.input.size is None:
        if fixed_width is None or fixed_height is None:
            raise ModelLoadError(f"{where}: its size is not fixed, so give input.size [width, height]")
        return fixed_width, fixed_height
    width, height = spec.input.size
    if fixed_width not in (None, width) or fixed_height not in (None, height):
        wanted = f"[N, 3, {height}, {width}]" if spec.input.layout == "NCHW" else f"[N, {height}, {width}, 3]"
        raise ModelLoadError(f"{where}: size [{width}, {height}] (width, height) expects {wanted}")
    return width, height
