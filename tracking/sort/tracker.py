"""SORT-style multi-object tracker (Bewley et al., ICIP 2016), written from the paper's idea:
Kalman-predicted boxes, IoU cost, optimal assignment (lap), track birth and death by hit/miss
counts. SORT's reference code is GPL: this is our own implementation.

Each tracker owns its id counter (SORT's class-level counter leaks ids across cameras).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracking.kalman import KalmanBoxBank
from tracklet_reid.settings import setting


@dataclass(frozen=True)
class TrackerConfig:
    """SORT's defaults. Ages count frames at ``reference_fps``; ``for_fps`` rescales them to a
    video's real frame rate, so a 30 fps camera does not get a 4x shorter memory than a 7 fps one."""

    max_age: int = setting(1, "frames a track lives without detection")
    min_hits: int = setting(3, "consecutive hits before a track is reported")
    iou_threshold: float = setting(0.3, "minimum IoU to associate")
    reference_fps: float | None = setting(None, "frame rate the ages are counted at, rescaled to the video's fps "
                                          "(unset: ages are plain frames)")

    def for_fps(self, fps: float | None) -> "TrackerConfig":
        if not self.reference_fps or not fps or fps <= 0:
            return self
        k = fps / self.reference_fps
        return TrackerConfig(max(1, round(self.max_age * k)), max(1, round(self.min_hits * k)),
                             self.iou_threshold, None)

    def validate(self) -> "TrackerConfig":
        from tracklet_reid.errors import InputError

        if self.max_age < 0 or self.min_hits < 0 or not 0.0 <= self.iou_threshold <= 1.0 or (
                self.reference_fps is not None and not self.reference_fps > 0):
            raise InputError(f"tracker settings out of range: {self}")
        return self


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in a (n, 4) with every box in b (m, 4), xyxy."""
    a = a[:, None, :]
    b = b[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inter / (area_a + area_b - inter)
    return np.nan_to_num(out, nan=0.0)


def associate(det_boxes: np.ndarray, trk_boxes: np.ndarray, threshold: float) -> np.ndarray:
    """(k, 2) pairs (detection, track) with IoU >= threshold, maximising total IoU."""
    if len(det_boxes) == 0 or len(trk_boxes) == 0:
        return np.zeros((0, 2), np.int64)
    iou = iou_matrix(det_boxes, trk_boxes)
    a = iou > threshold
    if a.sum(1).max() == 1 and a.sum(0).max() == 1:  # unambiguous: no solver needed
        pairs = np.argwhere(a)
    else:
        import lap

        _, x, _ = lap.lapjv(-iou, extend_cost=True)
        rows = np.flatnonzero(x >= 0)
        pairs = np.stack([rows, x[rows]], axis=1)
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64)
    keep = iou[pairs[:, 0], pairs[:, 1]] >= threshold
    return pairs[keep].astype(np.int64)


@dataclass
class FrameResult:
    """What one `update` produced."""

    ids: np.ndarray  # reported (confirmed) tracks this frame
    boxes: np.ndarray  # their Kalman-filtered boxes, xyxy
    det_ids: np.ndarray  # for every input detection, the id of the track it fed (-1 none)
    ended: list[int] = field(default_factory=list)  # ids of tracks deleted this frame
    ended_confirmed: list[bool] = field(default_factory=list)  # whether each was ever reported


class SortTracker:
    def __init__(self, config: TrackerConfig = TrackerConfig()):
        self.cfg = config.validate()
        self.bank = KalmanBoxBank()
        self.ids = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int64)
        self.hit_streak = np.zeros(0, np.int64)
        self.since_update = np.zeros(0, np.int64)
        self.confirmed = np.zeros(0, bool)  # ever reported: tracklets are built from these only
        self.frame_count = 0
        self._next_id = 1

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None) -> FrameResult:
        """One frame's detections (n, 4) xyxy -> reported tracks. Call once per frame, with an empty
        array on frames without detections, so ages advance."""
        cfg = self.cfg
        self.frame_count += 1
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
            (self.hit_streak >= cfg.min_hits) | (self.frame_count <= cfg.min_hits)
        )
        self.confirmed |= report
        result = FrameResult(self.ids[report].copy(), self.bank.boxes()[report], det_ids)
        dead = self.since_update > cfg.max_age
        if dead.any():
            result.ended = self.ids[dead].tolist()
            result.ended_confirmed = self.confirmed[dead].tolist()
            self._keep(~dead)
        return result

    @property
    def live(self) -> int:
        """Tracks alive now (confirmed or not)."""
        return len(self.ids)

    def idle(self, frames: int) -> None:
        """``frames`` frames without detections while no track is alive: only the clock moves (the
        same state ``frames`` empty `update` calls would leave)."""
        if len(self.ids):
            raise ValueError("idle() is only exact while no track is alive")
        self.frame_count += frames

    def finish(self) -> FrameResult:
        """End every live track (the video is over)."""
        result = FrameResult(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0, np.int64),
                             self.ids.tolist(), self.confirmed.tolist())
        self._keep(np.zeros(len(self.ids), bool))
        return result

    def _keep(self, mask: np.ndarray) -> None:
        self.bank.keep(mask)
        for name in ("ids", "hits", "hit_streak", "since_update", "confirmed"):
            setattr(self, name, getattr(self, name)[mask])
