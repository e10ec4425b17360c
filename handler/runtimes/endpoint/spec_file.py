"""The endpoint runtime's spec file: where a served model is, what one request carries, and how its
answer becomes predictions.

`input` and the tensor kinds of `output` are the ONNX spec file's sections (handler/runtimes/onnx/),
read by the same code; `output.kind: json` maps a JSON answer's fields instead. Read as JSON, or YAML
by its suffix, and checked strictly (unknown keys refused), so a typo fails when the worker starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handler.runtimes.onnx.spec_file import (
    ClassificationOutput,
    DetectionOutput,
    InputSpec,
    OnnxSpecFile,
    SegmentationOutput,
)
from handler.runtimes.spec_files import named_once, read_spec

Kind = Literal["sagemaker", "v2", "http"]
Encoding = Literal["jpeg", "png", "tensor", "json-base64"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EndpointSection(_Strict):
    """Where the model is served. `name`: the SageMaker endpoint, or the v2 model; `url`: the v2
    server's base URL, or the URL a plain HTTP request is POSTed to."""

    kind: Kind
    name: str | None = Field(None, min_length=1)
    url: str | None = None
    version: str | None = Field(None, min_length=1)  # v2: /v2/models/{name}/versions/{version}
    timeout_seconds: float = Field(30.0, gt=0, le=600)  # per request
    max_attempts: int = Field(5, ge=1, le=20)  # ANGO_BATCH_ENDPOINT_MAX_ATTEMPTS wins
    probe_url: str | None = None  # http: a GET that must answer 2xx when the worker starts
    # The header that ANGO_BATCH_ENDPOINT_SECRET's value goes in (http and v2).
    secret_header: str = Field("Authorization", min_length=1)

    @field_validator("url", "probe_url")
    @classmethod
    def _plain_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials: put them in ANGO_BATCH_ENDPOINT_SECRET")
        return url


class RequestSection(_Strict):
    """What one request carries: a picture (`jpeg`, `png`: the body; `json-base64`: in a JSON
    body `{"instances": [{"b64": ...}]}`), or the network's input tensor as a v2 request (`tensor`)."""

    encoding: Encoding
    jpeg_quality: int = Field(90, ge=1, le=100)
    image_format: Literal["jpeg", "png"] = "jpeg"  # json-base64: each picture's format
    instances_key: str = Field("instances", min_length=1)  # json-base64: the list's key
    image_key: str | None = Field("b64", min_length=1)  # json-base64: each picture's key; null: bare
    # tensor: each image's tensor as one row [N, height x width x 3] (e.g. a scikit-learn model's
    # features) instead of [N, 3, H, W] or [N, H, W, 3].
    flatten: bool = False


class JsonOutput(_Strict):
    """A JSON answer: `items` is the dotted path of the list of predictions (of one list per picture
    when the request carried `instances`); each item's `class` (a name, or an index into `classes`),
    `score` and `box` are dotted paths inside it. No `box`: the items are tags about the image."""

    kind: Literal["json"]
    items: str = "predictions"  # "" is the answer itself; a number indexes a list ("outputs.0")
    class_field: str = Field("label", alias="class", min_length=1)
    score: str | None = "score"
    box: str | None = "box"
    box_format: Literal["xyxy", "xywh", "cxcywh"] = "xyxy"
    normalized: bool = False  # coordinates are fractions (0-1) of the image's width and height
    min_score: float = Field(0.0, ge=0, le=1)


TensorOutput = DetectionOutput | ClassificationOutput | SegmentationOutput
OutputSpec = Annotated[TensorOutput | JsonOutput, Field(discriminator="kind")]


class EndpointSpecFile(_Strict):
    endpoint: EndpointSection
    request: RequestSection
    input: InputSpec = InputSpec()  # tensor requests only
    output: OutputSpec
    classes: list[str] = Field(min_length=1)  # by class id
    batch: int | None = Field(None, ge=1)  # images per request (tensor, json-base64); default 1

    @model_validator(mode="before")
    @classmethod
    def _default_encoding(cls, data: Any) -> Any:
        """A v2 model takes tensors, the others a JPEG, unless `request.encoding` says otherwise."""
        if isinstance(data, dict) and isinstance(data.get("endpoint"), dict):
            request = data.get("request") or {}
            if isinstance(request, dict) and "encoding" not in request:
                encoding = "tensor" if data["endpoint"].get("kind") == "v2" else "jpeg"
                data = {**data, "request": {**request, "encoding": encoding}}
        return data

    @field_validator("classes")
    @classmethod
    def _named_once(cls, classes: list[str]) -> list[str]:
        return named_once(classes)

    @model_validator(mode="after")
    def _consistent(self) -> EndpointSpecFile:
        problem = _endpoint_problem(self.endpoint) or _request_problem(self)
        if problem:
            raise ValueError(problem)
        if self.tensors:
            self.onnx_view()  # the ONNX spec's own checks (a segmentation's background class)
        return self

    @property
    def tensors(self) -> bool:
        return self.request.encoding == "tensor"

    @property
    def images_per_request(self) -> int:
        return self.batch or 1

    @property
    def tensor_output(self) -> TensorOutput:
        if isinstance(self.output, JsonOutput):
            raise TypeError("output.kind json is not a tensor output")
        return self.output

    @property
    def json_output(self) -> JsonOutput:
        if not isinstance(self.output, JsonOutput):
            raise TypeError(f"output.kind {self.output.kind} is not json")
        return self.output

    def onnx_view(self) -> OnnxSpecFile:
        """The ONNX spec these sections make, for the ONNX runtime's input plan and decoders."""
        try:
            output = self.tensor_output
            return OnnxSpecFile(input=self.input, output=output, classes=self.classes, batch=self.batch)
        except ValidationError as exc:
            raise ValueError("; ".join(str(error["msg"]) for error in exc.errors())) from None


def _endpoint_problem(endpoint: EndpointSection) -> str | None:
    kind = endpoint.kind
    if kind in ("sagemaker", "v2") and not endpoint.name:
        return f"endpoint.name is required for kind {kind} (the {_named(kind)})"
    if kind in ("v2", "http") and not endpoint.url:
        return f"endpoint.url is required for kind {kind}"
    if kind == "sagemaker" and endpoint.url:
        return "endpoint.url is not used by kind sagemaker (the region and credentials are boto3's)"
    if kind == "http" and endpoint.name:
        return "endpoint.name is not used by kind http: the url says where"
    if endpoint.version and kind != "v2":
        return "endpoint.version is for kind v2 only"
    if endpoint.probe_url and kind != "http":
        return "endpoint.probe_url is for kind http only (v2 is probed on its ready and metadata URLs)"
    return None


def _named(kind: Kind) -> str:
    return "SageMaker endpoint's name" if kind == "sagemaker" else "model's name on the v2 server"


def _request_problem(spec: EndpointSpecFile) -> str | None:
    encoding, json_output = spec.request.encoding, isinstance(spec.output, JsonOutput)
    if spec.endpoint.kind == "v2" and encoding != "tensor":
        return f"kind v2 sends tensors: request.encoding must be tensor, not {encoding}"
    if encoding == "tensor" and json_output:
        return "a tensor request's answer is tensors: output.kind detections, classification or segmentation"
    if encoding != "tensor" and not json_output:
        return (
            f"output.kind {spec.output.kind} reads tensors: use request.encoding tensor, or output.kind json"
        )
    if encoding in ("jpeg", "png") and spec.images_per_request != 1:
        return f"a {encoding} request carries one picture: batch must be 1 (json-base64 carries several)"
    if encoding != "tensor" and "input" in spec.model_fields_set:
        return "input is for tensor requests only: pictures are sent as they are"
    if spec.request.flatten and encoding != "tensor":
        return "request.flatten is for tensor requests only"
    return None


def read_spec_file(path: Path) -> EndpointSpecFile:
    """The spec file at `path`, checked; ModelLoadError naming the file and each problem."""
    return read_spec(path, EndpointSpecFile, "endpoint spec file")


class EndpointConfig(BaseModel):
    """Settable per run in the plugin's Config JSON under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    score_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="least score kept (instead of the spec file's score_threshold, min_score); "
        "null keeps the spec file's",
    )
