"""`ANGO_BATCH_MODEL=onnx`: a user's ONNX file, described by a small spec file, run on ONNX Runtime,
so that a detector, classifier or segmenter needs no Python.

Environment:
- `ANGO_BATCH_ONNX_SPEC`: the spec file (JSON; YAML when it ends .yaml or .yml). The listener reads
  it too (classes and config), so it must be readable there; the ONNX file need not be.
- `ANGO_BATCH_ONNX_MODEL`: the ONNX file, a path or `s3://bucket/key`; wins over the spec's `model`
  (a path relative to the spec file, an absolute path, or `s3://bucket/key`).
- `ANGO_BATCH_ONNX_CACHE`: where a file from S3 is kept (default: the system's temporary folder);
  fetched once per process, and reused by later processes while its ETag is unchanged.

This module stays cheap to import (the listener's view): ONNX Runtime, OpenCV and boto3 are imported
when a worker calls `create()`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from handler.contract.model import ModelLoadError, ModelSpec, ShapeKind
from handler.runtimes.onnx.spec_file import OnnxConfig, OnnxSpecFile, read_spec_file

if TYPE_CHECKING:
    from handler.runtimes.onnx.model import OnnxModel

SPEC_ENV = "ANGO_BATCH_ONNX_SPEC"
MODEL_ENV = "ANGO_BATCH_ONNX_MODEL"
CACHE_ENV = "ANGO_BATCH_ONNX_CACHE"
CLASS_KINDS: dict[str, ShapeKind] = {
    "detections": "bounding-box",
    "classification": "tag",
    "segmentation": "mask",
}
_FETCHED: dict[str, Path] = {}  # s3 URI -> local file, this process's


def load_onnx_spec() -> ModelSpec[OnnxConfig]:
    """The model's classes and config from the spec file `ANGO_BATCH_ONNX_SPEC` names."""
    return _read(str(_spec_path()))[1]


@functools.cache
def _read(path: str) -> tuple[OnnxSpecFile, ModelSpec[OnnxConfig]]:
    """Read once per process: the runner asks for the spec on every batch."""
    spec_file = read_spec_file(Path(path))
    output = spec_file.output
    skipped = getattr(output, "background", None)
    classes = {name: CLASS_KINDS[output.kind] for i, name in enumerate(spec_file.classes) if i != skipped}
    how = f"{output.kind} ({output.layout} layout)" if output.kind == "detections" else output.kind
    return spec_file, ModelSpec(
        classes=classes,
        config=OnnxConfig,
        description=f"an ONNX model's {how}, as the spec file {Path(path).name} describes",
    )


def _spec_path() -> Path:
    value = os.environ.get(SPEC_ENV, "").strip()
    if not value:
        raise ModelLoadError(f"the onnx model needs {SPEC_ENV}: the path of its spec file (JSON or YAML)")
    return Path(value).expanduser().resolve()


def model_location(spec_file: OnnxSpecFile, spec_path: Path) -> str:
    """Where the ONNX file is: `ANGO_BATCH_ONNX_MODEL`, else the spec's `model` (a relative path is
    taken from the spec file's folder); a path, or an s3:// URI."""
    location = os.environ.get(MODEL_ENV, "").strip()
    if location:
        return location
    if not spec_file.model:
        raise ModelLoadError(f"no ONNX file: set {MODEL_ENV}, or `model` in {spec_path}")
    if spec_file.model.startswith("s3://"):
        return spec_file.model
    return str(spec_path.parent / Path(spec_file.model).expanduser())


def local_model_path(location: str, cache_dir: Path, s3: Any = None) -> Path:
    """The ONNX file on this machine: fetched from S3 once per process (`s3`: a boto3 client)."""
    if not location.startswith("s3://"):
        path = Path(location).expanduser()
        if not path.is_file():
            raise ModelLoadError(f"the ONNX file {path} does not exist")
        return path
    if location not in _FETCHED:
        if s3 is None:
            from handler.contract.aws import make_clients

            s3 = make_clients().s3
        _FETCHED[location] = fetch_from_s3(location, cache_dir, s3)
    return _FETCHED[location]


def fetch_from_s3(uri: str, cache_dir: Path, s3: Any) -> Path:
    """Download `s3://bucket/key` into `cache_dir`, named by the URI and the object's ETag, unless a
    copy of that version is there already; written beside and renamed, so a reader never sees half."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ModelLoadError(f"{uri!r} is not an s3://bucket/key URI")
    try:
        etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
        digest = hashlib.sha256(f"{uri}\n{etag}".encode()).hexdigest()[:16]
        target = cache_dir / "ango-batch-onnx" / f"{digest}-{PurePosixPath(key).name}"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f"{target.name}.{os.getpid()}.part")
            body = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
            with part.open("wb") as file:
                for chunk in body.iter_chunks(1 << 20):
                    file.write(chunk)
            part.replace(target)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise ModelLoadError(f"cannot fetch the ONNX file {uri}: {code}") from None
    except BotoCoreError as exc:
        raise ModelLoadError(f"cannot fetch the ONNX file {uri}: {exc}") from None
    return target


class OnnxFactory:
    """`create`: its `spec` comes from the spec file; calling it loads and checks the ONNX file."""

    @property
    def spec(self) -> ModelSpec[OnnxConfig]:
        return load_onnx_spec()

    def __call__(self) -> OnnxModel:
        from handler.runtimes.onnx.model import OnnxModel

        spec_path = _spec_path()
        spec_file, spec = _read(str(spec_path))
        cache_dir = Path(os.environ.get(CACHE_ENV) or tempfile.gettempdir())
        path = local_model_path(model_location(spec_file, spec_path), cache_dir)
        return OnnxModel(spec_file, path, spec)


create = OnnxFactory()
