"""The built-in image-quality classifier on a synthetic picture, sharp and well exposed, then spoilt
in each of the ways it tags: blurred, darkened, saturated, each more and more."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from handler.contract.model import Image, PredictContext, Tag, load_model_factory
from handler.models.quality import ImageQualityClassifier
from handler.models.specs import QUALITY, QualityConfig

pytestmark = pytest.mark.unit
MODEL = ImageQualityClassifier()


def _sharp(height: int = 480, width: int = 640) -> Image:
    """A grey checkerboard (32-pixel squares of 90 and 166, mean 128) with fine noise on it."""
    rows, cols = np.mgrid[0:height, 0:width]
    board = np.where((rows // 32 + cols // 32) % 2 == 0, 90.0, 166.0)
    grey = np.clip(board + np.random.default_rng(0).normal(0, 12, board.shape), 0, 255).astype(np.uint8)
    return np.dstack([grey, grey, grey])


def _tags(image: Image, **config: float) -> dict[str, float]:
    (predictions,) = MODEL.predict([image], PredictContext(QualityConfig(**config)))
    assert all(isinstance(p.shape, Tag) and p.score is not None for p in predictions)
    return {p.class_name: p.score or 0 for p in predictions}


def _blurred(sigma: float) -> Image:
    return cv2.GaussianBlur(_sharp(), (0, 0), sigma)


def _darkened(factor: float) -> Image:
    return (_sharp() * factor).astype(np.uint8)


def _brightened(offset: int) -> Image:
    raised: npt.NDArray[np.int64] = _sharp().astype(np.int64) + offset
    return np.clip(raised, 0, 255).astype(np.uint8)


def test_a_sharp_well_exposed_picture_gets_no_tag() -> None:
    assert _tags(_sharp()) == {}
    # The blur measure does not grow with the resolution: the same picture three times larger.
    assert _tags(cv2.resize(_sharp(), None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)) == {}


@pytest.mark.parametrize(
    ("name", "spoilt"),
    [
        ("blurred", [_blurred(s) for s in (2.5, 3.5, 5)]),
        ("too-dark", [_darkened(f) for f in (0.3, 0.2, 0.12)]),
        ("over-exposed", [_brightened(a) for a in (90, 120, 160)]),
    ],
)
def test_each_defect_is_tagged_alone_with_a_score_that_grows_with_it(name: str, spoilt: list[Image]) -> None:
    scores = []
    for image in spoilt:
        tags = _tags(image)
        assert set(tags) == {name}, tags
        scores.append(tags[name])
    assert 0.5 < scores[0] < scores[1] < scores[2] <= 1


def test_mostly_near_black_is_too_dark_whatever_the_mean() -> None:
    image = _sharp()
    image[: int(image.shape[0] * 0.8)] = 5  # a bright strip under a black sky
    assert "too-dark" in _tags(image, dark_mean=1)


def test_the_thresholds_make_it_stricter_or_looser() -> None:
    slightly = _blurred(2.5)
    assert "blurred" in _tags(slightly)
    assert "blurred" not in _tags(slightly, blur_threshold=10)
    assert "over-exposed" in _tags(_brightened(60), clipped_fraction=0.005)


def test_a_blank_picture_reads_as_blurred_with_full_score() -> None:
    assert _tags(np.full((100, 100, 3), 128, np.uint8)) == {"blurred": 1.0}


def test_the_spec_has_three_whole_image_tags_and_a_strict_config() -> None:
    assert QUALITY.classes == {"blurred": "tag", "too-dark": "tag", "over-exposed": "tag"}
    assert QUALITY.nested == {}
    assert load_model_factory("quality").spec is QUALITY
    assert QUALITY.default_config == QualityConfig().model_dump()
    with pytest.raises(ValidationError):
        QualityConfig.model_validate({"blur_treshold": 50})
    with pytest.raises(ValidationError):
        QualityConfig.model_validate({"clipped_fraction": 1.5})
