"""Pictures out, JSON in: a request carries the image as a JPEG or PNG (the body), or as base64 in a
JSON body of `instances`; the answer is read by the spec's declarative mapping (`output.kind: json`):
where the list of predictions is, and each one's class, score and box fields and box format.

Pictures are sent at their own size, so a box in pixels is already in the image's pixels.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from handler.contract.model import BoundingBox, EncodedImage, Image, Prediction, Tag
from handler.runtimes.endpoint.errors import BadResponseError, EndpointError, sanitise
from handler.runtimes.endpoint.spec_file import JsonOutput, RequestSection

logger = logging.getLogger(__name__)
Size = tuple[int, int]  # width, height
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "json-base64": "application/json"}
_WARNED_LIMIT = 100


def encode_picture(image: Image | EncodedImage, image_format: str, jpeg_quality: int) -> bytes:
    """The picture as a file of `image_format`: an asset's own file as it is when it is one (no
    decode and encode again: the endpoint gets what Hub holds), else encoded."""
    import cv2

    pixels: Any = image
    if isinstance(image, EncodedImage):
        if image.format == image_format:
            return image.data
        pixels = cv2.imdecode(np.frombuffer(image.data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if pixels is None:
            raise EndpointError(f"cannot decode the {image.format} picture")
    if image_format == "jpeg":
        ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    else:
        ok, data = cv2.imencode(".png", pixels)
    if not ok:
        raise EndpointError(f"cannot encode the image as {image_format}")
    return bytes(data.tobytes())


class PictureCodec:
    """One request's body from its images, and their predictions from its answer."""

    def __init__(self, request: RequestSection, output: JsonOutput, classes: Sequence[str]) -> None:
        self._request = request
        self._reader = JsonReader(output, classes)
        self.content_type = CONTENT_TYPES[request.encoding]

    @property
    def takes_encoded(self) -> frozenset[str]:
        """The file formats it sends on as they are."""
        request = self._request
        return frozenset({request.image_format if request.encoding == "json-base64" else request.encoding})

    def encode(self, images: Sequence[Image | EncodedImage]) -> tuple[bytes, list[Size]]:
        sizes = [_size(image) for image in images]
        request = self._request
        if request.encoding != "json-base64":
            return encode_picture(images[0], request.encoding, request.jpeg_quality), sizes
        pictures = [
            base64.b64encode(encode_picture(image, request.image_format, request.jpeg_quality)).decode(
                "ascii"
            )
            for image in images
        ]
        key = request.image_key
        instances = [{key: picture} if key else picture for picture in pictures]
        return json.dumps({request.instances_key: instances}).encode(), sizes

    def decode(self, body: bytes, sizes: list[Size], threshold: float | None) -> list[list[Prediction]]:
        document = parse_json(body)
        found = at_path(document, self._reader.output.items)
        if self._request.encoding != "json-base64":
            return [self._reader.predictions(found, sizes[0], threshold)]
        if not isinstance(found, list) or len(found) != len(sizes):
            count = len(found) if isinstance(found, list) else type(found).__name__
            raise BadResponseError(
                f"{len(sizes)} instances sent, the answer's {self._reader.output.items!r} has {count}"
            )
        return [
            self._reader.predictions(one, size, threshold) for one, size in zip(found, sizes, strict=True)
        ]


def _size(image: Image | EncodedImage) -> Size:
    if isinstance(image, EncodedImage):
        return image.width, image.height
    return int(image.shape[1]), int(image.shape[0])


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise BadResponseError(
            f"the answer is not JSON: {sanitise(body[:80].decode('utf-8', 'replace'))}"
        ) from None


def at_path(document: Any, path: str) -> Any:
    """The value at a dotted path ("result.objects", "outputs.0.data"; "" is the document)."""
    value = document
    for part in path.split(".") if path else ():
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise BadResponseError(sanitise(f"the answer has no {path!r} (no {part!r}; {_what_is(value)})"))
    return value


def _what_is(value: Any) -> str:
    if isinstance(value, dict):
        return "its keys: " + ", ".join(repr(key) for key in list(value)[:8])
    return f"a {type(value).__name__} there"


class JsonReader:
    def __init__(self, output: JsonOutput, classes: Sequence[str]) -> None:
        self.output = output
        self._classes = tuple(classes)
        self._warned: set[str] = set()

    def predictions(self, items: Any, size: Size, threshold: float | None) -> list[Prediction]:
        if not isinstance(items, list):
            raise BadResponseError(
                f"the answer's {self.output.items!r} is a {type(items).__name__}, not a list"
            )
        least = self.output.min_score if threshold is None else threshold
        found = (self._one(item, index, size) for index, item in enumerate(items))
        return [p for p in found if p is not None and (p.score is None or p.score >= least)]

    def _one(self, item: Any, index: int, size: Size) -> Prediction | None:
        output = self.output
        name = self._class_name(_field(item, output.class_field, index))
        score = None if output.score is None else _score(_field(item, output.score, index), index)
        if name is None:
            return None
        if output.box is None:
            return Prediction(class_name=name, shape=Tag(), score=score)
        box = to_box(_field(item, output.box, index), output.box_format, output.normalized, size)
        return None if box is None else Prediction(class_name=name, shape=box, score=score)

    def _class_name(self, value: Any) -> str | None:
        """The class's name: the value, or the class at that index; None for one not in the spec."""
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value < len(self._classes):
                return self._classes[value]
        elif isinstance(value, str):
            if value in self._classes:
                return value
        else:
            raise BadResponseError(f"a class is a {type(value).__name__}, not a name or an index")
        label = sanitise(str(value), limit=60)
        if label not in self._warned and len(self._warned) < _WARNED_LIMIT:
            self._warned.add(label)
            logger.warning("the endpoint answered class %r, not one of the spec's classes: dropped", label)
        return None


def _field(item: Any, path: str, index: int) -> Any:
    try:
        return at_path(item, path)
    except BadResponseError:
        raise BadResponseError(f"prediction {index} has no {path!r}") from None


def _score(value: Any, index: int) -> float:
    if not _number(value) or not 0 <= value <= 1:
        raise BadResponseError(f"prediction {index}'s score {sanitise(repr(value), limit=40)} is not in 0..1")
    return float(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_box(values: Any, box_format: str, normalized: bool, size: Size) -> BoundingBox | None:
    """A box in the image's pixels, clipped to it; None when nothing of it is inside."""
    if not isinstance(values, list | tuple) or len(values) != 4 or not all(_number(v) for v in values):
        raise BadResponseError(f"a box is {sanitise(repr(values), limit=60)}, not 4 numbers")
    a, b, c, d = (float(v) for v in values)
    if box_format == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif box_format == "cxcywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:
        x1, y1, x2, y2 = a, b, c, d
    width, height = size
    if normalized:
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
    y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
    if x2 <= x1 or y2 <= y1:
        return None
    return BoundingBox(x=x1, y=y1, width=x2 - x1, height=y2 - y1)
