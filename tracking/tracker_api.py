"""What every tracker in tracking/ offers the rest of the pipeline (extract, `pipeline track`):
one `update` per frame, the ids each detection fed, and the tracks that ended."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class FrameResult:
    """What one `update` produced."""

    ids: np.ndarray  # reported (confirmed) tracks this frame
    boxes: np.ndarray  # their boxes, xyxy
    det_ids: np.ndarray  # for every input detection, the id of the track it fed (-1 none)
    ended: list[int] = field(default_factory=list)  # ids of tracks deleted this frame
    ended_confirmed: list[bool] = field(default_factory=list)  # whether each was ever reported


class Tracker(Protocol):
    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               embeddings: np.ndarray | None = None) -> FrameResult:
        """One frame's detections (n, 4) xyxy, their scores (n,) and optionally appearance
        embeddings (n, D). Called once per frame, with empty arrays on frames without detections."""

    @property
    def live(self) -> int:
        """Tracks alive now (reported or not)."""

    def idle(self, frames: int) -> None:
        """``frames`` empty frames while no track is alive: only the clock moves."""

    def finish(self) -> FrameResult:
        """End every live track (the video is over)."""


class TrackArrays:
    """The part every tracker here shares: tracks are rows of arrays (``ids``, ``confirmed``: ever
    reported, and the subclass's own columns, all cut by ``_keep(mask)``) and ``frame`` counts
    updates. What remains is `live`, `idle` and `finish`, written once here."""

    ids: np.ndarray
    confirmed: np.ndarray
    frame: int

    def _keep(self, mask: np.ndarray) -> None:
        raise NotImplementedError

    @property
    def live(self) -> int:
        """Tracks alive now (reported or not)."""
        return len(self.ids)

    def idle(self, frames: int) -> None:
        """``frames`` frames without detections while no track is alive: only the clock moves (the
        same state ``frames`` empty `update` calls would leave)."""
        if len(self.ids):
            raise ValueError("idle() is only exact while no track is alive")
        self.frame += frames

    def finish(self) -> FrameResult:
        """End every live track (the video is over)."""
        result = FrameResult(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0, np.int64), self.ids.tolist(),
                             self.confirmed.tolist())
        self._keep(np.zeros(len(self.ids), bool))
        return result


def frame_input(boxes: np.ndarray, scores: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """One frame's boxes as (n, 4) float and their scores (all 1 when unscored); a NaN or empty box
    scores -inf, so that it takes part in no association and starts no track."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.ones(len(boxes)) if scores is None else np.asarray(scores, dtype=np.float64).reshape(-1)
    usable = np.isfinite(boxes).all(1) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes, np.where(usable, scores, -np.inf)


def lost_frames(seconds: float, fps: float | None) -> int:
    """A lost track's wait in frames at ``fps`` (unknown: the papers' 30 fps)."""
    return max(1, int(round(seconds * (fps if fps and fps > 0 else 30.0))))
