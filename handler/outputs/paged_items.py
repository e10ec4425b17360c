"""A video's pre-labels: each sampled frame's objects, built as an image's are (build_item), put on
their frame (`page`) and given one objectId per tracked object, so that an object keeps its id from
frame to frame as Hub's import asks (protocol §7.2, video: "same objectId across frames").

Answers about a whole frame are not imported on a video (Hub's frame classifications are not
documented for import): they are dropped and counted. Answers nested in an object go with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handler.contract.messages import AssetRef
from handler.contract.model import Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig
from handler.media.tracks import IouTracker
from handler.outputs.conversions import extent
from handler.outputs.prelabels import AssetLabels, address_of, build_item


@dataclass
class VideoLabels:
    run_id: str
    asset: AssetRef
    size: tuple[int, int]
    targets: Mapping[str, ClassTarget]
    config: RunConfig | None = None
    tracker: IouTracker = field(default_factory=IouTracker)
    objects: list[dict[str, Any]] = field(default_factory=list)
    kept: list[Prediction] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, page: int, predictions: Sequence[Prediction]) -> None:
        """One sampled frame (`page`: its index in the video) with the model's predictions on it."""
        labels = build_item(self.run_id, self.asset, self.size, predictions, self.targets, self.config)
        self.counts.update(
            dropped=labels.dropped + len(labels.answered),
            below=labels.below_min_score,
            over=labels.over_max_objects,
            converted=labels.converted,
        )
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
            self.objects.append({**obj, "objectId": object_id, "page": page})
            self.kept.append(prediction)
        whole_frame = len(labels.item.get("classifications", ())) if labels.item else 0
        self.counts["answers"] += labels.answers - whole_frame  # those nested in objects

    def labels(self) -> AssetLabels:
        """The video's one import item (None when no frame had an object), with its counts."""
        c = self.counts
        if not self.objects:
            return AssetLabels(None, 0, c["dropped"], c["below"], c["over"])
        item = {**address_of(self.asset), "objects": self.objects}
        return AssetLabels(
            item=item,
            objects=len(self.objects),
            dropped=c["dropped"],
            below_min_score=c["below"],
            over_max_objects=c["over"],
            kept=tuple(self.kept),
            converted=c["converted"],
            answers=c["answers"],
        )
