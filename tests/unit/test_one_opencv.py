"""One OpenCV in the environment: the headless build the project asks for. rapidocr's wheel asks for
opencv-python, and both builds install `cv2`, each over the other; the Makefile and the handler
images install rapidocr with --no-deps to keep it out (pyproject.toml, the ocr extra)."""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

import pytest

pytestmark = pytest.mark.unit

OPENCV_BUILDS = (
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
)


def _installed(name: str) -> bool:
    try:
        version(name)
    except PackageNotFoundError:
        return False
    return True


def test_exactly_one_opencv_is_installed_and_it_is_headless() -> None:
    assert [name for name in OPENCV_BUILDS if _installed(name)] == ["opencv-python-headless"]


def test_rapidocr_imports_beside_it() -> None:
    assert _installed("rapidocr-onnxruntime")
    assert importlib.import_module("rapidocr_onnxruntime").RapidOCR
