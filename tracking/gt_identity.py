"""Ground-truth identities for tracklets, for evaluation only (never read in training)."""
from __future__ import annotations

import numpy as np

from detection.mot_text import MotRows
from tracking.association import iou_matrix


class GroundTruthMatcher:
    """Labels a tracklet with the identity its boxes overlap most (IoU >= ``iou``), when that
    identity covers at least ``min_share`` of its crops; else -1 (a false track or a mix)."""

    def __init__(self, gt: MotRows, iou: float = 0.5, min_share: float = 0.5):
        self.gt = gt.select(gt.score != 0) if len(gt) else gt
        self._by_frame = self.gt.by_frame()
        self.iou = iou
        self.min_share = min_share

    def identity(self, frames: np.ndarray, boxes: np.ndarray) -> int:
        votes: dict[int, int] = {}
        for f, b in zip(np.asarray(frames).tolist(), np.asarray(boxes, dtype=np.float64).reshape(-1, 4)):
            idx = self._by_frame.get(int(f))
            if idx is None:
                continue
            ov = iou_matrix(b[None], self.gt.boxes[idx])[0]
            k = int(np.argmax(ov))
            if ov[k] >= self.iou:
                pid = int(self.gt.ids[idx[k]])
                votes[pid] = votes.get(pid, 0) + 1
        if not votes:
            return -1
        pid, n = max(votes.items(), key=lambda kv: (kv[1], -kv[0]))
        return pid if n >= self.min_share * len(frames) else -1
