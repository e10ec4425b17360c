"""A labeled asset for the report: decoded under the handler's pixel limit, shrunk, its boxes
drawn, encoded as JPEG (photos inline as PNG would make a page of megabytes)."""

from __future__ import annotations

from collections.abc import Sequence

from handler.assets import decode_image
from handler.contract.records import SampleBox

MAX_SIDE = 360
COLOURS = ((52, 211, 153), (99, 102, 241), (251, 146, 60), (236, 72, 153))  # BGR


def draw_boxes(data: bytes, boxes: Sequence[SampleBox]) -> bytes:
    import cv2

    image = decode_image(data)
    scale = min(1.0, MAX_SIDE / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).astype("uint8")
    classes = sorted({box.model_class for box in boxes})
    for box in boxes:
        colour = COLOURS[classes.index(box.model_class) % len(COLOURS)]
        x0, y0 = int(box.x * scale), int(box.y * scale)
        x1, y1 = int((box.x + box.width) * scale), int((box.y + box.height) * scale)
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
        label = box.model_class if box.score is None else f"{box.model_class} {box.score:.2f}"
        cv2.putText(image, label, (x0 + 2, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 82])
    if not ok:
        raise ValueError("could not encode the picture")
    return bytes(encoded)
