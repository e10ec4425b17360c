"""The pre-labels of an asset of many pictures: a video's sampled frames, a multi-frame DICOM's
frames, a multi-image asset's pages (`PagedLabels`), or a PDF's pages (`PdfLabels`).

Each page's objects are built as an image's are (build_item). On a video, DICOM or multi-image
asset they are put on their page (`page`, from 0) and given one objectId per tracked object, so an
object keeps its id from page to page as Hub's import asks (protocol §7.2: "same objectId across
frames"). On a PDF they become `pdf` areas carrying their `pageNumber` (protocol §7.2).

Answers about a whole page are not imported on such assets (Hub documents no page classification
import): they are dropped and counted. Answers nested in an object go with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handler.contract.messages import AssetRef
from handler.contract.model import Prediction
from handler.contract.records import ClassTarget, KeptPrediction, VideoProgress
from handler.contract.run_config import RunConfig
from handler.media.tracks import IouTracker
from handler.outputs.conversions import extent
from handler.outputs.prelabels import AssetLabels, address_of, build_item, targets_by_class
from handler.outputs.shapes import BoundingBox, Point, Text


@dataclass
class _Pages:
    """What the page kinds share: the objects so far and the counts behind them."""

    run_id: str
    asset: AssetRef
    targets: Sequence[ClassTarget]  # the run's: a class may have a PDF tool beside another label
    config: RunConfig | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    kept: list[Prediction] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def _page_labels(
        self, size: tuple[int, int], predictions: Sequence[Prediction], on_pdf: bool
    ) -> AssetLabels:
        targets = targets_by_class(self.targets, on_pdf)
        labels = build_item(self.run_id, self.asset, size, predictions, targets, self.config, on_pdf)
        whole_page = len(labels.item.get("classifications", ())) if labels.item else 0
        self.counts.update(
            dropped=labels.dropped + len(labels.answered),
            below=labels.below_min_score,
            over=labels.over_max_objects,
            converted=labels.converted,
            answers=labels.answers - whole_page,  # those nested in objects
        )
        return labels

    def labels(self) -> AssetLabels:
        """The asset's one import item (None when no page had an object), with its counts."""
        c = self.counts
        if not self.objects:
            return AssetLabels(None, 0, c["dropped"], c["below"], c["over"])
        return AssetLabels(
            item={**address_of(self.asset), "objects": self.objects},
            objects=len(self.objects),
            dropped=c["dropped"],
            below_min_score=c["below"],
            over_max_objects=c["over"],
            kept=tuple(self.kept),
            converted=c["converted"],
            answers=c["answers"],
        )


@dataclass
class PagedLabels(_Pages):
    """Objects on pages of one size (a video's frames, a DICOM's frames, a multi-image asset's
    pages), one objectId per track."""

    tracker: IouTracker = field(default_factory=IouTracker)

    def add(self, page: int | None, size: tuple[int, int], predictions: Sequence[Prediction]) -> None:
        """One page (its index from 0, its (width, height)) with the model's predictions on it; page
        None for an asset of one picture that takes no `page` (a one-frame DICOM)."""
        labels = self._page_labels(size, predictions, on_pdf=False)
        placed = list({id(p): p for p in labels.kept}.values())  # a mask may place several objects
        ids = self.tracker.assign([(p.class_name, extent(p.shape)) for p in placed])  # type: ignore[arg-type]
        track_of = {id(p): track for p, track in zip(placed, ids, strict=True)}
        parts: Counter[int] = Counter()
        objects = labels.item["objects"] if labels.item else []
        for obj, prediction in zip(objects, labels.kept, strict=True):
            track = track_of[id(prediction)]
            part = parts[track]
            parts[track] += 1
            object_id = f"{self.run_id}-{self.asset.asset_id}-t{track}" + (f"-{part}" if part else "")
            self.objects.append({**obj, "objectId": object_id, **({} if page is None else {"page": page})})
            self.kept.append(prediction)

    def progress(self, next_frame: int) -> VideoProgress:
        """What a job that stops here hands on: the objects so far, their counts, the tracks."""
        kept = tuple(
            KeptPrediction(model_class=p.class_name, score=p.score, box=extent(p.shape))  # type: ignore[arg-type]
            for p in self.kept
        )
        return VideoProgress(
            next_frame=next_frame,
            objects=tuple(self.objects),
            kept=kept,
            counts=dict(self.counts),
            tracker=self.tracker.state(),
        )

    def resume(self, progress: VideoProgress) -> None:
        """Go on where an earlier job stopped: its objects, counts and tracks become these."""
        self.objects = list(progress.objects)
        self.counts = Counter(progress.counts)
        self.tracker = IouTracker.restored(progress.tracker)
        self.kept = [_as_prediction(k) for k in progress.kept]


def _as_prediction(kept: KeptPrediction) -> Prediction:
    """A prediction of an earlier job, as much of it as the job's figures count (class, score, extent)."""
    x0, y0, x1, y1 = kept.box
    shape = (
        BoundingBox(x=x0, y=y0, width=x1 - x0, height=y1 - y0) if x1 > x0 and y1 > y0 else Point(x=x0, y=y0)
    )
    return Prediction(class_name=kept.model_class, shape=shape, score=kept.score)


@dataclass
class PdfLabels(_Pages):
    """Areas of a PDF's pages, each rendered at its own size: `pdf` objects whose corners are in the
    rendered page's pixels, with that page's `width` and `height` beside them (the corners read as
    fractions of those, whatever the scale Hub shows the page at) and its `pageNumber` from 1.
    An object that carries a text answer (the OCR model's reading) gives it as the area's `text`."""

    def add(self, page: int | None, size: tuple[int, int], predictions: Sequence[Prediction]) -> None:
        """One page (its index from 0, its rendered (width, height)) with the model's predictions."""
        assert page is not None  # every PDF page has its number
        labels = self._page_labels(size, predictions, on_pdf=True)
        objects = labels.item["objects"] if labels.item else []
        for n, (obj, prediction) in enumerate(zip(objects, labels.kept, strict=True)):
            box = obj["pdf"]  # the box around the shape (conversions.py), clipped to the page
            area: dict[str, Any] = {
                "x1": box["x"],
                "y1": box["y"],
                "x2": round(box["x"] + box["width"], 2),
                "y2": round(box["y"] + box["height"], 2),
                "width": size[0],
                "height": size[1],
                "pageNumber": page + 1,
            }
            text = next((a.shape.text for a in prediction.answers if isinstance(a.shape, Text)), None)
            if text is not None:
                area["text"] = text
            object_id = f"{self.run_id}-{self.asset.asset_id}-p{page + 1}-{n}"
            self.objects.append({**obj, "pdf": area, "objectId": object_id})
            self.kept.append(prediction)
