"""The built-in models' specs and configs, importable without the models (the listener reads them;
OpenCV and the models' code stay out of its process)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handler.contract.model import ModelSpec


class HaarConfig(BaseModel):
    """Detector parameters, settable per run in the plugin's Config JSON under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    scale_factor: float = Field(1.1, gt=1.0, le=2.0, description="image pyramid step")
    min_neighbors: int = Field(5, ge=0, le=50, description="higher: fewer, surer detections")
    min_size: int = Field(30, ge=8, le=4096, description="smallest face side, in pixels")
    max_image_side: int = Field(
        1600, ge=64, le=8192, description="larger images are downscaled first, for speed"
    )


HAAR = ModelSpec(
    classes={"Face": "bounding-box"},
    config=HaarConfig,
    description="OpenCV Haar-cascade frontal-face detector",
)


class FixedLatencyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    seconds_per_batch: float = Field(0.2, ge=0, le=60)


FIXED_LATENCY = ModelSpec(
    classes={"Object": "bounding-box"},
    config=FixedLatencyConfig,
    description="sleeps a fixed time per batch, then returns one centred box per image",
)


class OcrConfig(BaseModel):
    """Reader parameters, settable per run in the plugin's Config JSON under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    min_text_score: float = Field(
        0.5, ge=0, le=1, description="lines read with a lower recognition score are dropped"
    )
    max_image_side: int = Field(
        2000, ge=64, le=8192, description="larger images are downscaled first, for speed"
    )
    use_angle_cls: bool = Field(
        True, description="also read lines that are upside down (turned 180 degrees); off is faster"
    )
    box_thresh: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="the detector's least mean confidence for a text region: lower finds fainter "
        "text, and more that is not text",
    )
    # 2.0, not rapidocr's 1.6: its recogniser drops the spaces between Latin words in tighter crops
    # (word recall on rendered English pages: 1.0 at 2.0, about 0.5 at 1.6).
    unclip_ratio: float = Field(
        2.0, ge=1, le=4, description="how far a region is grown around its text: higher, looser boxes"
    )


OCR = ModelSpec(
    classes={"text-line": "rotated-bounding-box", "text": "text"},
    config=OcrConfig,
    description="RapidOCR (PP-OCRv4 on ONNX Runtime, CPU): finds lines of printed text, Chinese or "
    "Latin, and reads each one; a text-line is a rotated box carrying the text read in it",
    nested={"text": "text-line"},
)


class QualityConfig(BaseModel):
    """Thresholds on the measured statistics, settable per run under "model". Luminance is the grey
    level, 0 (black) to 255 (white)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    blur_threshold: float = Field(
        100.0,
        gt=0,
        description="blurred below this variance of the Laplacian (the grey image at most 512 pixels "
        "a side, its contrast stretched); higher calls more pictures blurred",
    )
    dark_mean: float = Field(40.0, gt=0, le=255, description="too-dark when the mean luminance is below this")
    dark_fraction: float = Field(
        0.75,
        gt=0,
        lt=1,
        description="too-dark also when more than this fraction of pixels is near black (luminance "
        "20 or less)",
    )
    clipped_fraction: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="over-exposed when more than this fraction of pixels is clipped (luminance 250 or more)",
    )


QUALITY = ModelSpec(
    classes={"blurred": "tag", "too-dark": "tag", "over-exposed": "tag"},
    config=QualityConfig,
    description="image statistics, not a learned model: blurred = little fine detail (variance of "
    "the Laplacian), too-dark = low mean luminance or mostly near-black pixels, over-exposed = many "
    "clipped white pixels; a blank picture reads as blurred, a white page as over-exposed",
)


class EntitiesConfig(BaseModel):
    """Settable per run under "model"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)  # true is not 1

    phone_min_digits: int = Field(
        7,
        ge=5,
        le=15,
        description="a run of digits, spaces, dots, dashes and brackets is a phone number "
        "from this many digits on",
    )


ENTITIES = ModelSpec(
    classes={name: "ner" for name in ("email", "url", "phone", "date", "money", "iban")},
    config=EntitiesConfig,
    description="rules, not a learned model: e-mail addresses, URLs, phone numbers, dates (checked "
    "against the calendar), amounts of money with a currency, IBANs (checked by their mod-97 digits) "
    "in text assets",
    media="text",
)
