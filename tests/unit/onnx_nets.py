"""Tiny ONNX networks whose answers are known, built with onnx.helper for the ONNX runtime's tests.

Each takes a batch of images and gives outputs fixed by its weights: a "detector" whose output is a
constant table (the image only sets the batch size), a classifier over each channel's mean, and a
per-pixel segmenter (a 1x1 convolution).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # ReduceMean's axes still an attribute; every onnxruntime since 1.14 runs it
Dims = Sequence[int | str]


RED_BLUE = np.array([[1, -1], [0, 0], [-1, 1]])  # channel means R, G, B -> logits red, blue


def constant_detector(path: Path, table: np.ndarray, input_shape: Dims = ("N", 3, 320, 320)) -> Path:
    """Output `output0` is `table` (one image's rows) for every image of the batch."""
    nodes = [*_batch_zeros("images", input_shape), *_add_constant("zeros", table, "output0")]
    outputs = [_tensor("output0", (input_shape[0], *table.shape))]
    return _save(path, nodes, [_tensor("images", input_shape)], outputs)


def constant_nms_detector(
    path: Path,
    boxes: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    input_shape: Dims = ("N", 3, 320, 320),
) -> Path:
    """Three outputs, as a model with NMS built in gives them: boxes [N, K, 4], scores, classes."""
    nodes = [
        *_batch_zeros("images", input_shape),
        _const("last", np.array([2], dtype=np.int64)),
        helper.make_node("Squeeze", ["zeros", "last"], ["row_zeros"]),  # [N, 1]
    ]
    outputs = []
    for name, value in (("boxes", boxes), ("scores", scores), ("classes", classes)):
        nodes += _add_constant("zeros" if value.ndim == 2 else "row_zeros", value, name)
        outputs.append(_tensor(name, (input_shape[0], *value.shape)))
    return _save(path, nodes, [_tensor("images", input_shape)], outputs)


def channel_mean_classifier(
    path: Path,
    weights: np.ndarray,
    input_shape: Dims = ("N", 3, 8, 8),
    layout: str = "NCHW",
    half: bool = False,
) -> Path:
    """`logits` [N, C] = (mean of each input channel) @ weights [3, C]; `half`: a float16 input."""
    axes = [2, 3] if layout == "NCHW" else [1, 2]
    cast = [helper.make_node("Cast", ["images"], ["pixels"], to=TensorProto.FLOAT)] if half else []
    nodes = [
        *cast,
        helper.make_node("ReduceMean", ["pixels" if half else "images"], ["means"], axes=axes, keepdims=0),
        _const("weights", weights.astype(np.float32)),
        helper.make_node("MatMul", ["means", "weights"], ["logits"]),
    ]
    inputs = [_tensor("images", input_shape, TensorProto.FLOAT16 if half else TensorProto.FLOAT)]
    return _save(path, nodes, inputs, [_tensor("logits", (input_shape[0], weights.shape[1]))])


def pixel_segmenter(
    path: Path,
    weights: np.ndarray,
    bias: np.ndarray,
    input_shape: tuple[int | str, int | str, int, int] = ("N", 3, 32, 32),
    ids: bool = False,
    stride: int = 1,
) -> Path:
    """`masks`: class logits [N, C, H, W] = weights [C, 3] . pixel + bias, or (`ids`) their argmax
    [N, H, W] as int64; with a stride, of every stride-th pixel (a map coarser than the input)."""
    classes = weights.shape[0]
    nodes = [
        _const("w", weights.reshape(classes, 3, 1, 1).astype(np.float32)),
        _const("b", bias.astype(np.float32)),
        helper.make_node("Conv", ["images", "w", "b"], ["logits" if ids else "masks"], strides=[stride] * 2),
    ]
    n, _, h, w = input_shape[0], input_shape[1], input_shape[2] // stride, input_shape[3] // stride
    if ids:
        nodes.append(helper.make_node("ArgMax", ["logits"], ["masks"], axis=1, keepdims=0))
        output = _tensor("masks", (n, h, w), TensorProto.INT64)
    else:
        output = _tensor("masks", (n, classes, h, w))
    return _save(path, nodes, [_tensor("images", input_shape)], [output])


def _batch_zeros(name: str, input_shape: Dims) -> list[onnx.NodeProto]:
    """`zeros` [N, 1, 1]: the image's mean times 0, so that an output has the batch's size."""
    return [
        helper.make_node("ReduceMean", [name], ["mean"], axes=[1, 2, 3], keepdims=0),
        _const("column", np.array([-1, 1, 1], dtype=np.int64)),
        helper.make_node("Reshape", ["mean", "column"], ["column_mean"]),
        _const("zero", np.array(0, dtype=np.float32)),
        helper.make_node("Mul", ["column_mean", "zero"], ["zeros"]),
    ]


def _add_constant(zeros: str, value: np.ndarray, output: str) -> list[onnx.NodeProto]:
    """`output` = `value` broadcast over the batch of `zeros`."""
    constant = f"{output}_value"
    return [_const(constant, value.astype(np.float32)), helper.make_node("Add", [zeros, constant], [output])]


def _const(name: str, value: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))


def _tensor(name: str, shape: Dims, dtype: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, list(shape))


def _save(
    path: Path,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
) -> Path:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path
