"""The ONNX model: a session over the user's file, checked against the spec file when it is created
(when the worker starts), then batches of images in and predictions in their pixels out.

A file whose batch is fixed gets the runner's images in slices of that size, the last padded with
blank images whose outputs are dropped; a dynamic batch gets them as they come (or in slices of the
spec's `batch`, a cap on memory).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from handler.contract.model import Image, ModelLoadError, ModelSpec, PredictContext, Prediction
from handler.runtimes.onnx.decode import Decoder
from handler.runtimes.onnx.preprocess import plan_input
from handler.runtimes.onnx.spec_file import OnnxConfig, OnnxSpecFile

logger = logging.getLogger(__name__)
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def providers(available: Sequence[str]) -> list[str]:
    """CUDA where this onnxruntime build and machine have it, else the CPU."""
    return [name for name in PREFERRED_PROVIDERS if name in available]


class OnnxModel:
    def __init__(self, spec_file: OnnxSpecFile, model_path: Path, spec: ModelSpec[OnnxConfig]) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelLoadError(
                f"the onnx model needs onnxruntime ({exc}): pip install onnxruntime"
            ) from None
        self.spec = spec
        try:
            self._session = ort.InferenceSession(
                str(model_path), providers=providers(ort.get_available_providers())
            )
        except Exception as exc:  # ONNX Runtime's own error types: a missing file, a bad protobuf
            raise ModelLoadError(f"ONNX Runtime cannot load {model_path}: {exc}") from None
        self._input = plan_input(spec_file, self._session.get_inputs())
        self._decode = Decoder.for_file(spec_file.output, spec_file.classes, self._session.get_outputs())
        logger.info(
            "ONNX model %s: input %r %dx%d, batch %s, on %s",
            model_path,
            self._input.name,
            self._input.width,
            self._input.height,
            self._input.batch or "dynamic",
            ", ".join(self._session.get_providers()),
        )

    def predict(self, images: Sequence[Image], context: PredictContext[OnnxConfig]) -> list[list[Prediction]]:
        step = self._input.batch or max(1, len(images))
        found: list[list[Prediction]] = []
        for start in range(0, len(images), step):
            found.extend(self._run(images[start : start + step], context.config.score_threshold))
        return found

    def _run(self, images: Sequence[Image], threshold: float | None) -> list[list[Prediction]]:
        tensor, geometries = self._input.tensor(images)
        arrays = self._session.run(list(self._decode.names), {self._input.name: tensor})
        self._decode.check(arrays, len(images))
        return [
            self._decode([array[index] for array in arrays], geometry, threshold)
            for index, geometry in enumerate(geometries)
        ]
