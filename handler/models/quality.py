"""The built-in image-quality classifier: whole-image tags from measured statistics, not a model.

- blurred: the variance of the Laplacian of the grey image is low (little fine detail). It is
  measured at most ANALYSIS_SIDE pixels a side, so that it does not grow with the resolution, and
  after stretching the contrast, so that a dark or hazy picture is not called blurred for that alone.
- too-dark: the mean luminance is low, or most pixels are near black.
- over-exposed: many pixels are clipped white.

A tag comes only when its test fires. Its score says how far past the threshold the measurement is:
for "below t" tests 0.5 + 0.5 * (t - value) / t, for "fraction above t" tests 0.5 + 0.5 * (fraction
- t) / (1 - t). Both are just over 0.5 at the threshold and 1 at the end of the scale (no detail at
all, pure black, every pixel clipped), so a run's min_score makes the tags stricter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handler.contract.model import Image, PredictContext, Prediction, Tag
from handler.models.specs import QUALITY, QualityConfig

ANALYSIS_SIDE = 512  # pixels; the blur measure's threshold holds at this scale
NEAR_BLACK = 20  # luminance at or under which a pixel counts as near black
CLIPPED = 250  # luminance at or over which a pixel counts as clipped


@dataclass(frozen=True)
class Measurements:
    sharpness: float  # variance of the Laplacian
    mean_luminance: float
    near_black_fraction: float
    clipped_fraction: float


class ImageQualityClassifier:
    spec = QUALITY

    def __init__(self) -> None:
        import cv2  # noqa: F401  (fails at creation, not at the first image, where OpenCV is missing)

    def predict(
        self, images: Sequence[Image], context: PredictContext[QualityConfig]
    ) -> list[list[Prediction]]:
        return [tags(measure(image), context.config) for image in images]


def measure(image: Image) -> Measurements:
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = ANALYSIS_SIDE / max(grey.shape)
    small = grey if scale >= 1 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    low, high = np.percentile(small, (1, 99))
    stretched = small.astype(np.float64)
    if high > low:  # a flat picture stays flat: no detail, however stretched
        stretched = np.clip((stretched - low) * (255 / (high - low)), 0, 255)
    return Measurements(
        sharpness=float(cv2.Laplacian(stretched, cv2.CV_64F).var()),
        mean_luminance=float(grey.mean()),
        near_black_fraction=float(np.count_nonzero(grey <= NEAR_BLACK) / grey.size),
        clipped_fraction=float(np.count_nonzero(grey >= CLIPPED) / grey.size),
    )


def tags(measured: Measurements, config: QualityConfig) -> list[Prediction]:
    scores = {
        "blurred": _below(measured.sharpness, config.blur_threshold),
        "too-dark": max(
            _below(measured.mean_luminance, config.dark_mean),
            _above(measured.near_black_fraction, config.dark_fraction),
        ),
        "over-exposed": _above(measured.clipped_fraction, config.clipped_fraction),
    }
    return [Prediction(class_name=name, shape=Tag(), score=score) for name, score in scores.items() if score]


def _below(value: float, threshold: float) -> float:
    """0 when the value is not below the threshold, else its score (module docstring)."""
    return 0.0 if value >= threshold else min(1.0, 0.5 + 0.5 * (threshold - value) / threshold)


def _above(fraction: float, threshold: float) -> float:
    """0 when the fraction is not above the threshold, else its score (module docstring)."""
    return 0.0 if fraction <= threshold else min(1.0, 0.5 + 0.5 * (fraction - threshold) / (1 - threshold))


create = ImageQualityClassifier
