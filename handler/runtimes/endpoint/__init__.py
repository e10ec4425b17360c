"""`ANGO_BATCH_MODEL=handler.runtimes.endpoint`: a model served behind an endpoint, described by a
small spec file, so that a model already deployed needs no Python here: a SageMaker real-time
endpoint, a v2 (Open Inference Protocol) server such as MLServer, Triton or KServe, or any HTTP
URL that answers JSON. See examples/endpoint/ for a spec of each kind.

Environment:
- `ANGO_BATCH_ENDPOINT_SPEC`: the spec file (JSON; YAML when it ends .yaml or .yml). The listener
  reads it too (classes and config).
- `ANGO_BATCH_ENDPOINT_SECRET`: a Secrets Manager secret (ARN or name) holding the HTTP endpoint's
  credentials header (credentials.py); read once per process with the handler's AWS role. SageMaker
  needs none: the role signs its calls.
- `ANGO_BATCH_ENDPOINT_CONCURRENCY`: requests in flight within one `predict` (default 16).
- `ANGO_BATCH_ENDPOINT_MAX_ATTEMPTS`: attempts per request; wins over the spec's endpoint.max_attempts.

This module stays cheap to import (the listener's view): the model, urllib3 and boto3 are imported
when a worker calls `create()`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from handler.contract.model import ModelLoadError, ModelSpec, ShapeKind
from handler.runtimes.endpoint.spec_file import EndpointConfig, EndpointSpecFile, JsonOutput, read_spec_file
from handler.runtimes.onnx import CLASS_KINDS

if TYPE_CHECKING:
    from handler.runtimes.endpoint.model import EndpointModel, EndpointOptions

SPEC_ENV = "ANGO_BATCH_ENDPOINT_SPEC"
SECRET_ENV = "ANGO_BATCH_ENDPOINT_SECRET"  # noqa: S105 (a variable's name, not a secret)
CONCURRENCY_ENV = "ANGO_BATCH_ENDPOINT_CONCURRENCY"
ATTEMPTS_ENV = "ANGO_BATCH_ENDPOINT_MAX_ATTEMPTS"


def load_endpoint_spec() -> ModelSpec[EndpointConfig]:
    """The model's classes and config from the spec file `ANGO_BATCH_ENDPOINT_SPEC` names."""
    return _read(str(_spec_path()))[1]


@functools.cache
def _read(path: str) -> tuple[EndpointSpecFile, ModelSpec[EndpointConfig]]:
    """Read once per process: the runner asks for the spec on every batch."""
    spec_file = read_spec_file(Path(path))
    output, endpoint = spec_file.output, spec_file.endpoint
    kind: ShapeKind
    if isinstance(output, JsonOutput):
        kind, what = ("bounding-box", "boxes") if output.box else ("tag", "tags")
    else:
        kind, what = CLASS_KINDS[output.kind], output.kind
    skipped = getattr(output, "background", None)
    classes = {name: kind for i, name in enumerate(spec_file.classes) if i != skipped}
    served = endpoint.name or endpoint.url
    return spec_file, ModelSpec(
        classes=classes,
        config=EndpointConfig,
        description=f"{what} of a model served by a {endpoint.kind} endpoint ({served}), "
        f"as the spec file {Path(path).name} describes",
    )


def _spec_path() -> Path:
    value = os.environ.get(SPEC_ENV, "").strip()
    if not value:
        raise ModelLoadError(f"the endpoint model needs {SPEC_ENV}: the path of its spec file (JSON or YAML)")
    return Path(value).expanduser().resolve()


def options_from_env() -> EndpointOptions:
    from handler.runtimes.endpoint.model import EndpointOptions

    return EndpointOptions(
        max_in_flight=_positive(CONCURRENCY_ENV, 256) or 16,
        max_attempts=_positive(ATTEMPTS_ENV, 20),
        secret_id=os.environ.get(SECRET_ENV, "").strip() or None,
    )


def _positive(name: str, most: int) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise ModelLoadError(f"{name} must be a whole number from 1 to {most}, not {value!r}")
    return int(value)


class EndpointFactory:
    """`create`: its `spec` comes from the spec file; calling it reaches (and checks) the endpoint."""

    @property
    def spec(self) -> ModelSpec[EndpointConfig]:
        return load_endpoint_spec()

    def __call__(self) -> EndpointModel:
        from handler.runtimes.endpoint.model import build_model

        spec_file, spec = _read(str(_spec_path()))
        return build_model(spec_file, spec, options_from_env())


create = EndpointFactory()


def probe() -> str:
    """For `ango-batch check`: create the model (its start-up checks), send one request with a small
    blank image, and say in one line how it went; raises what creating or the request raised."""
    model = create()
    try:
        return model.probe()
    finally:
        model.close()
