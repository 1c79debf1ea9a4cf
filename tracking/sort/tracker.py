"""SORT-style multi-object tracker (Bewley et al., ICIP 2016), written from the paper's idea:
Kalman-predicted boxes, IoU cost, optimal assignment (lap), track birth and death by hit/miss
counts. SORT's reference code is GPL: this is our own implementation.

Each tracker owns its id counter (SORT's class-level counter leaks ids across cameras).
"""
from __future__ import annotations

import numpy as np

from tracking.association import associate
from tracking.kalman import KalmanBoxBank
from tracking.tracker_api import FrameResult, TrackArrays
from tracking.tracker_config import TrackerConfig


class SortTracker(TrackArrays):
    def __init__(self, config: TrackerConfig = TrackerConfig()):
        self.cfg = config.validate()
        self.bank = KalmanBoxBank()
        self.ids = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int64)
        self.hit_streak = np.zeros(0, np.int64)
        self.since_update = np.zeros(0, np.int64)
        self.confirmed = np.zeros(0, bool)  # ever reported: tracklets are built from these only
        self.frame = 0
        self._next_id = 1

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               embeddings: np.ndarray | None = None) -> FrameResult:
        """One frame's detections (n, 4) xyxy -> reported tracks. Call once per frame, with an empty
        array on frames without detections, so ages advance."""
        cfg = self.cfg
        self.frame += 1
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        pred = self.bank.predict()
        valid = np.isfinite(pred).all(axis=1)
        if not valid.all():  # a degenerate prediction: drop that track (as SORT does)
            self._keep(valid)
            pred = pred[valid]
        self.hit_streak[self.since_update > 0] = 0
        self.since_update += 1
        pairs = associate(boxes, pred, cfg.iou_threshold)
        det_ids = np.full(len(boxes), -1, np.int64)
        if len(pairs):
            t = pairs[:, 1]
            self.bank.update(t, boxes[pairs[:, 0]])
            self.since_update[t] = 0
            self.hits[t] += 1
            self.hit_streak[t] += 1
            det_ids[pairs[:, 0]] = self.ids[t]
        new = np.setdiff1d(np.arange(len(boxes)), pairs[:, 0], assume_unique=True)
        if len(new):
            self.bank.add(boxes[new])
            new_ids = np.arange(self._next_id, self._next_id + len(new))
            self._next_id += len(new)
            self.ids = np.concatenate([self.ids, new_ids])
            self.hits = np.concatenate([self.hits, np.zeros(len(new), np.int64)])
            self.hit_streak = np.concatenate([self.hit_streak, np.zeros(len(new), np.int64)])
            self.since_update = np.concatenate([self.since_update, np.zeros(len(new), np.int64)])
            self.confirmed = np.concatenate([self.confirmed, np.zeros(len(new), bool)])
            det_ids[new] = new_ids
        report = (self.since_update < 1) & (
            (self.hit_streak >= cfg.min_hits) | (self.frame <= cfg.min_hits)
        )
        self.confirmed |= report
        result = FrameResult(self.ids[report].copy(), self.bank.boxes()[report], det_ids)
        dead = self.since_update > cfg.max_age
        if dead.any():
            result.ended = self.ids[dead].tolist()
            result.ended_confirmed = self.confirmed[dead].tolist()
            self._keep(~dead)
        return result

    def _keep(self, mask: np.ndarray) -> None:
        self.bank.keep(mask)
        for name in ("ids", "hits", "hit_streak", "since_update", "confirmed"):
            setattr(self, name, getattr(self, name)[mask])
