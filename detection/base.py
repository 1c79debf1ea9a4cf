"""Detections and the detector interface shared by every backend."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np


@dataclass
class Detections:
    """Person detections in one frame: boxes (n, 4) x1, y1, x2, y2 in pixels, scores (n,)."""

    boxes: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> "Detections":
        return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(len(self.scores))

    def select(self, mask: np.ndarray) -> "Detections":
        return Detections(self.boxes[mask], self.scores[mask])


class Detector(Protocol):
    """Frames (BGR uint8, as OpenCV decodes them) in, one Detections per frame out.

    ``frame_indices`` are the frames' 0-based positions in the camera's timeline: detectors that
    look detections up (the `file` backend) need them, the others ignore them.
    """

    name: str
    batch_size: int

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int]) -> list[Detections]:
        ...


@dataclass(frozen=True)
class DetectionFilter:
    """Thresholds applied to every backend's output."""

    min_score: float = 0.3
    min_height: float = 16.0  # pixels: smaller people give useless 256 x 128 crops
    min_aspect: float = 0.0  # height / width; 0 keeps everything
    max_aspect: float = float("inf")

    def __call__(self, det: Detections, frame_hw: tuple[int, int] | None = None) -> Detections:
        b = det.boxes
        if frame_hw is not None and len(b):
            h, w = frame_hw
            b = b.copy()
            b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, w)
            b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, h)
            det = Detections(b, det.scores)
        bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            aspect = np.where(bw > 0, bh / np.maximum(bw, 1e-9), np.inf)
        keep = (
            np.isfinite(b).all(axis=1)
            & np.isfinite(det.scores)
            & (bw > 0)
            & (bh >= max(self.min_height, 1e-9))
            & (det.scores >= self.min_score)
            & (aspect >= self.min_aspect)
            & (aspect <= self.max_aspect)
        )
        return det.select(keep)
