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


def no_result(ended: list[int] | None = None, confirmed: list[bool] | None = None) -> FrameResult:
    return FrameResult(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0, np.int64), ended or [], confirmed or [])
