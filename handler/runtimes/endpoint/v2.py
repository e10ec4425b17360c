"""Tensors out, tensors in: the Open Inference Protocol (v2, KServe's, as MLServer and Triton speak
it) over JSON. The input tensor is made by the ONNX runtime's input plan (resize, letterbox,
normalise, layout) and the output tensors read by its decoders (detections, classification,
segmentation), so a spec's `input` and `output` sections mean what they mean for an ONNX file.

A v2 server is checked when the worker starts: the model must be ready, and the inputs and outputs
its metadata declares must take and give what the spec sends and reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from handler.contract.model import Image, ModelLoadError, Prediction
from handler.runtimes.endpoint.errors import BadResponseError, EndpointError, sanitise
from handler.runtimes.endpoint.http_json import parse_json
from handler.runtimes.endpoint.spec_file import EndpointSection, EndpointSpecFile, TensorOutput
from handler.runtimes.endpoint.transport import HttpClient, where
from handler.runtimes.onnx.decode import Decoder, OutputShapeError
from handler.runtimes.onnx.preprocess import ONNX_TYPES, Dim, Geometry, InputPlan, format_shape, plan_input

DATATYPES = {"float32": "FP32", "float16": "FP16"}
ONNX_TYPE_OF = {DATATYPES[dtype]: onnx_type for dtype, onnx_type in ONNX_TYPES.items()}


@dataclass(frozen=True)
class TensorMeta:
    """A tensor as v2 metadata declares it, in the ONNX runtime's terms (its `TensorInfo`)."""

    name: str
    shape: tuple[Dim, ...]
    datatype: str

    @property
    def type(self) -> str:
        return ONNX_TYPE_OF.get(self.datatype, self.datatype)

    def __str__(self) -> str:
        return f"{self.name!r} {format_shape(self.shape)} {self.datatype}"


def model_url(endpoint: EndpointSection) -> str:
    version = f"/versions/{endpoint.version}" if endpoint.version else ""
    return f"{(endpoint.url or '').rstrip('/')}/v2/models/{endpoint.name}{version}"


class TensorCodec:
    """One request's v2 body from its images, and their predictions from the answer's outputs."""

    content_type = "application/json"

    def __init__(self, spec: EndpointSpecFile, plan: InputPlan, names: tuple[str, ...] | None) -> None:
        self._output = spec.tensor_output
        self._classes = tuple(spec.classes)
        self._plan = plan
        self._names = names
        self._flatten = spec.request.flatten
        self._datatype = DATATYPES[spec.input.dtype]

    def encode(self, images: Sequence[Image]) -> tuple[bytes, list[Geometry]]:
        tensor, geometries = self._plan.tensor(images)
        if self._flatten:
            tensor = tensor.reshape(len(tensor), -1)
        body: dict[str, Any] = {
            "inputs": [
                {
                    "name": self._plan.name,
                    "shape": list(tensor.shape),
                    "datatype": self._datatype,
                    "data": tensor.ravel().tolist(),
                }
            ]
        }
        if self._names:
            body["outputs"] = [{"name": name} for name in self._names]
        return json.dumps(body).encode(), geometries

    def decode(
        self, body: bytes, geometries: list[Geometry], threshold: float | None
    ) -> list[list[Prediction]]:
        tensors = _outputs(parse_json(body))
        names = self._names or tuple(list(tensors)[: _reads(self._output)])
        missing = [name for name in names if name not in tensors]
        if missing or not names:
            have = ", ".join(repr(name) for name in tensors) or "none"
            wanted = repr(missing[0]) if missing else "to read"
            raise BadResponseError(sanitise(f"the answer has no output {wanted}; its outputs: {have}"))
        decoder = Decoder(self._output, self._classes, names)
        arrays = [tensors[name] for name in names]
        try:
            decoder.check(arrays, len(geometries))
        except OutputShapeError as exc:
            raise BadResponseError(str(exc)) from None
        return [
            decoder([array[index] for array in arrays], geometry, threshold)
            for index, geometry in enumerate(geometries)
        ]


def _reads(output: TensorOutput) -> int:
    """How many outputs the output's kind reads (the ONNX decoder's rule)."""
    return 3 if getattr(output, "layout", None) == "nms" else 1


def _outputs(document: Any) -> dict[str, Any]:
    outputs = document.get("outputs") if isinstance(document, dict) else None
    if not isinstance(outputs, list):
        raise BadResponseError("the answer has no 'outputs' list (a v2 inference response)")
    tensors: dict[str, Any] = {}
    for entry in outputs:
        try:
            tensors[str(entry["name"])] = np.asarray(entry["data"], dtype=np.float64).reshape(entry["shape"])
        except (KeyError, TypeError, ValueError):
            name = entry.get("name") if isinstance(entry, dict) else None
            raise BadResponseError(
                sanitise(f"output {name!r} is not a numeric tensor of its shape")
            ) from None
    return tensors


def connect(http: HttpClient, spec: EndpointSpecFile) -> TensorCodec:
    """Check the v2 model (ready; its declared inputs and outputs against the spec) and return
    the codec; ModelLoadError saying what the spec expects and what the server has."""
    base = model_url(spec.endpoint)
    what = f"v2 model {spec.endpoint.name!r} at {where(spec.endpoint.url or '')}"
    try:
        _ready(http, base, spec.endpoint, what)
        answer = http.get(base)
        if answer.status != 200:
            raise ModelLoadError(f"{what}: its metadata: {http.failure(answer)}")
        metadata = parse_json(answer.body) if answer.body else {}
    except EndpointError as exc:  # unreachable, or metadata that is not JSON
        raise ModelLoadError(f"{what}: {exc}") from None
    inputs = _declared(metadata, "inputs")
    outputs = _declared(metadata, "outputs")
    try:
        return TensorCodec(spec, _plan(spec, inputs), _output_names(spec, outputs))
    except ModelLoadError as exc:
        raise ModelLoadError(f"{what}: {exc}") from None


def codec_without_metadata(spec: EndpointSpecFile) -> TensorCodec:
    """For a tensor request to SageMaker or a plain URL: nothing to check it against first."""
    return TensorCodec(spec, _plan(spec, []), _output_names(spec, []))


def _ready(http: HttpClient, base: str, endpoint: EndpointSection, what: str) -> None:
    answer = http.get(f"{base}/ready")
    if answer.status == 200:
        return
    if answer.status == 404:
        raise ModelLoadError(f"{what}: no such model; the server has: {_models(http, endpoint)}")
    raise ModelLoadError(f"{what} is not ready: {http.failure(answer)}")


def _models(http: HttpClient, endpoint: EndpointSection) -> str:
    """The server's models, by its repository extension (MLServer's and Triton's), if it has one."""
    try:
        url = f"{(endpoint.url or '').rstrip('/')}/v2/repository/index"
        index = json.loads(http.post(url, b"{}", "application/json"))
        names = [f"{entry['name']!r} ({entry.get('state', '?')})" for entry in index]
    except (EndpointError, ValueError, TypeError, KeyError, AttributeError):
        return "(it does not list its models)"
    return sanitise(", ".join(names) or "no models")


def _declared(metadata: Any, key: str) -> list[TensorMeta]:
    entries = metadata.get(key) if isinstance(metadata, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("shape"), list):
            shape = tuple(None if not isinstance(d, int) or d < 0 else d for d in entry["shape"])
            found.append(TensorMeta(str(entry.get("name")), shape, str(entry.get("datatype", "?"))))
    return found


def _plan(spec: EndpointSpecFile, inputs: list[TensorMeta]) -> InputPlan:
    """The ONNX runtime's input plan against the declared input (or, when the server declares
    none, against the shape the spec's layout implies)."""
    datatype = DATATYPES[spec.input.dtype]
    layout_shape: tuple[Dim, ...] = (
        (None, 3, None, None) if spec.input.layout == "NCHW" else (None, None, None, 3)
    )
    if not inputs:
        return plan_input(
            spec.onnx_view(), [TensorMeta(spec.input.name or "input-0", layout_shape, datatype)]
        )
    info = _the_input(spec, inputs)
    if info.datatype != datatype:
        raise ModelLoadError(
            f"input {info} takes {info.datatype}; input.dtype {spec.input.dtype} sends {datatype}"
        )
    if not spec.request.flatten:
        return plan_input(spec.onnx_view(), [info])
    if spec.input.size is None:
        raise ModelLoadError("request.flatten needs input.size [width, height]")
    width, height = spec.input.size
    row = width * height * 3
    if len(info.shape) != 2 or info.shape[1] not in (None, row):
        raise ModelLoadError(
            f"input {info}: request.flatten sends [N, {row}] (input.size {width}x{height}, 3 channels)"
        )
    return plan_input(spec.onnx_view(), [TensorMeta(info.name, layout_shape, datatype)])


def _the_input(spec: EndpointSpecFile, inputs: list[TensorMeta]) -> TensorMeta:
    have = ", ".join(str(info) for info in inputs)
    if spec.input.name is None:
        if len(inputs) != 1:
            raise ModelLoadError(f"the model takes {len(inputs)} inputs ({have}): name one as input.name")
        return inputs[0]
    for info in inputs:
        if info.name == spec.input.name:
            return info
    raise ModelLoadError(f"input.name {spec.input.name!r} is not an input of the model; its inputs: {have}")


def _output_names(spec: EndpointSpecFile, outputs: list[TensorMeta]) -> tuple[str, ...] | None:
    """The outputs to ask for and read, checked against the declared ones where there are some."""
    output = spec.tensor_output
    if not outputs:
        return tuple(output.outputs) if output.outputs else None
    have = ", ".join(str(info) for info in outputs)
    wanted = output.outputs or [info.name for info in outputs[: _reads(output)]]
    if len(wanted) != _reads(output):
        raise ModelLoadError(
            f"output.kind {output.kind} reads {_reads(output)} outputs; the model has {have}"
        )
    by_name = {info.name: info for info in outputs}
    for name in wanted:
        if name not in by_name:
            raise ModelLoadError(f"output {name!r} is not an output of the model; its outputs: {have}")
    Decoder.for_file(output, spec.classes, [by_name[name] for name in wanted])  # the shapes
    return tuple(wanted)
