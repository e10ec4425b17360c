"""One id per object across a video's sampled frames: a greedy IoU tracker.

Each frame's boxes are matched to the tracks still alive, class by class, best overlap first. A
track goes on only where the new box overlaps its last one by at least `min_iou`, and ends after
`max_gap` sampled frames without a match: tracks are kept short rather than wrong, since a wrong
join merges two objects for the annotator while a break only costs them a relink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class _Track:
    id: int
    class_name: str
    box: Box
    last_step: int


def iou(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    return overlap / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap)


class IouTracker:
    def __init__(self, min_iou: float = 0.3, max_gap: int = 1) -> None:
        self.min_iou, self.max_gap = min_iou, max_gap
        self._tracks: list[_Track] = []
        self._step = 0
        self._next_id = 0

    def assign(self, boxes: Sequence[tuple[str, Box]]) -> list[int]:
        """The track id of each (class, box) of the next sampled frame, in order."""
        self._step += 1
        alive = [t for t in self._tracks if self._step - t.last_step <= self.max_gap + 1]
        pairs = sorted(
            (
                (overlap, n, track)
                for n, (class_name, box) in enumerate(boxes)
                for track in alive
                if track.class_name == class_name and (overlap := iou(box, track.box)) >= self.min_iou
            ),
            key=lambda pair: -pair[0],
        )
        ids: list[int | None] = [None] * len(boxes)
        taken: set[int] = set()
        for _, n, track in pairs:
            if ids[n] is None and track.id not in taken:
                ids[n], track.box, track.last_step = track.id, boxes[n][1], self._step
                taken.add(track.id)
        for n, (class_name, box) in enumerate(boxes):
            if ids[n] is None:
                ids[n] = self._next_id
                alive.append(_Track(self._next_id, class_name, box, self._step))
                self._next_id += 1
        self._tracks = alive
        return [i for i in ids if i is not None]

    def state(self) -> dict[str, Any]:
        """The tracker as JSON, for a video that goes on in another job (VideoProgress)."""
        tracks = [[t.id, t.class_name, list(t.box), t.last_step] for t in self._tracks]
        return {"step": self._step, "next_id": self._next_id, "tracks": tracks}

    @classmethod
    def restored(cls, state: dict[str, Any]) -> IouTracker:
        """A tracker that goes on where `state` left off (a fresh one for an empty state)."""
        tracker = cls()
        if state:
            tracker._step, tracker._next_id = int(state["step"]), int(state["next_id"])
            tracker._tracks = [
                _Track(int(i), str(name), (box[0], box[1], box[2], box[3]), int(step))
                for i, name, box, step in state["tracks"]
            ]
        return tracker
