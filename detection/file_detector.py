"""Precomputed detections from a MOTChallenge det.txt: the public-detection protocol."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from detection.base import Detections
from detection.mot_text import MotRows, read_mot
from tracklet_reid.errors import InputError


def find_det_file(folder: Path, camera: str, kind: str = "det") -> Path:
    """Where a camera's det.txt (or gt.txt, ``kind="gt"``) may be, in the layouts people use."""
    candidates = [folder / f"{camera}.txt", folder / camera / f"{kind}.txt", folder / camera / kind / f"{kind}.txt"]
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    for c in candidates:
        if c.is_file():
            return c
    what = "detections" if kind == "det" else "ground truth"
    raise InputError(f"{folder}: no {what} for camera {camera!r} (looked for "
                     + ", ".join(str(c.relative_to(folder)) for c in candidates) + ")")


class FileDetector:
    name = "file"
    batch_size = 64

    def __init__(self, rows: MotRows):
        self.rows = rows
        self._by_frame = rows.by_frame()

    @classmethod
    def from_path(cls, path: str | Path) -> "FileDetector":
        return cls(read_mot(path))

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int]) -> list[Detections]:
        out = []
        for f in frame_indices:
            idx = self._by_frame.get(int(f))
            if idx is None:
                out.append(Detections.empty())
            else:
                out.append(Detections(self.rows.boxes[idx].astype(np.float32),
                                      self.rows.score[idx].astype(np.float32)))
        return out
