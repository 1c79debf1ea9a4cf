"""OC-SORT (Cao, Pang, Weng, Khirodkar, Kitani, "Observation-Centric SORT: Rethinking SORT for
Robust Multi-Object Tracking", CVPR 2023), written from the paper. SORT plus three uses of the
detections themselves, where SORT trusts only its Kalman filter:

- OCM (observation-centric momentum): the direction a track moved between its observations
  ``delta_t`` frames apart, compared with the direction from its old observation to each new box,
  is added to the IoU (weight ``inertia``): two people crossing keep their own directions;
- OCR (observation-centric recovery): boxes and tracks left unmatched get a second round against
  each track's *last observation* rather than its drifting prediction: a person who stopped behind
  an obstacle is found where they were last seen;
- ORU (observation-centric re-update): a track found again after a gap is rewound to its last
  observation and filtered along a straight virtual path to the new box, so the errors its blind
  predictions piled up do not stay in its velocity.

Reported boxes are the observations (the paper's choice). SORT's 7-state Kalman model (kalman.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracking.association import iou_matrix, min_cost_pairs
from tracking.kalman import KalmanBoxBank
from tracking.tracker_api import FrameResult, TrackArrays, frame_input, lost_frames


@dataclass(frozen=True)
class OCSortParams:
    """The paper's code's defaults; the lost time in seconds (its 30 frames at 30 fps)."""

    det_score: float = 0.6  # boxes below take no part
    iou_threshold: float = 0.3  # minimum IoU of a match, in both rounds
    min_hits: int = 3  # consecutive matched frames before a track is reported (as SORT)
    lost_seconds: float = 1.0
    # time between the two observations that give a track's direction: the paper's 3 frames at 30 fps
    # (in frames at the camera's rate, at least 1; measured over the nine sequences of
    # `tools/bench_tracker.py --choose`, 1, 2 or 3 frames gave mean IDF1 0.361 / 0.363 / 0.361)
    delta_seconds: float = 0.1
    inertia: float = 0.2  # weight of the direction agreement in the first round


class OCSortTracker(TrackArrays):
    def __init__(self, params: OCSortParams = OCSortParams(), fps: float | None = None):
        self.p = params
        self.max_age = lost_frames(params.lost_seconds, fps)
        self.bank = KalmanBoxBank()
        self.delta_t = lost_frames(params.delta_seconds, fps)
        k = self.delta_t + 1
        self.ids = np.zeros(0, np.int64)
        self.since_update = np.zeros(0, np.int64)
        self.hit_streak = np.zeros(0, np.int64)
        self.confirmed = np.zeros(0, bool)
        self.last_obs = np.zeros((0, 4))  # the latest observation of each track
        self.hist_box = np.zeros((0, k, 4))  # its latest observations, a ring of delta_t + 1 slots ...
        self.hist_frame = np.zeros((0, k), np.int64)  # ... and their frames (-1: none)
        self.direction = np.zeros((0, 2))  # unit (dy, dx) between observations delta_t apart; 0: unknown
        self.saved_x = np.zeros((0, 7))  # Kalman state and covariance at the last observation (for ORU)
        self.saved_P = np.zeros((0, 7, 7))
        self.frame = 0
        self._next_id = 1

    # ------------------------------------------------------------------------------ pieces
    def _previous_obs(self) -> np.ndarray:
        """Per track the observation ``delta_t`` frames back (else the oldest one within those frames,
        else the latest)."""
        window: np.ndarray = (self.hist_frame >= self.frame - self.delta_t) & (self.hist_frame >= 0)
        frames = np.where(window, self.hist_frame, np.iinfo(np.int64).max)
        pick = frames.argmin(1)
        has = np.asarray(window.any(axis=1))
        rows = np.arange(len(self.ids))
        return np.where(has[:, None], self.hist_box[rows, pick], self.last_obs)

    def _momentum_cost(self, boxes: np.ndarray, scores: np.ndarray, prev: np.ndarray) -> np.ndarray:
        """(tracks, boxes) OCM term: agreement of each track's direction with the direction from its
        previous observation (``prev``, `_previous_obs`) to each box, in [-0.5, 0.5], times
        ``inertia`` and the box's score."""
        known = np.abs(self.direction).sum(1) > 0
        d = _centres(boxes)[None, :, :] - _centres(prev)[:, None, :]  # (T, B, 2) as (dy, dx)
        d = d / (np.linalg.norm(d, axis=2, keepdims=True) + 1e-6)
        cos = np.clip((d * self.direction[:, None, :]).sum(2), -1.0, 1.0)
        agree = (np.pi / 2 - np.abs(np.arccos(cos))) / np.pi
        return agree * known[:, None] * self.p.inertia * scores[None, :]

    def _observe(self, tracks: np.ndarray, boxes: np.ndarray, prev: np.ndarray) -> None:
        """Matched tracks: ORU for those found after a gap, then the Kalman update, direction and
        observation history. ``prev``: `_previous_obs` of this frame (the history is not yet moved)."""
        if len(tracks) == 0:
            return
        gap = self.since_update[tracks]  # frames since the last observation (1: none missed)
        if (gap > 1).any():
            self._reupdate(tracks[gap > 1], boxes[gap > 1], gap[gap > 1])
        plain = gap <= 1
        self.bank.update(tracks[plain], boxes[plain])
        has_obs = (self.hist_frame[tracks] >= 0).any(1)
        d = _centres(boxes) - _centres(prev[tracks])
        norm = np.linalg.norm(d, axis=1, keepdims=True)
        self.direction[tracks] = np.where(has_obs[:, None], d / (norm + 1e-6), self.direction[tracks])
        # a ring of delta_t + 1 slots, frame f in slot f mod (delta_t + 1): the observations within
        # the last delta_t frames (all `_previous_obs` reads) never share a slot, so this keeps the
        # same ones a shifted list would, without copying each track's history every frame
        slot = self.frame % (self.delta_t + 1)
        self.hist_box[tracks, slot] = boxes
        self.hist_frame[tracks, slot] = self.frame
        self.last_obs[tracks] = boxes
        self.since_update[tracks] = 0
        self.hit_streak[tracks] += 1
        self.saved_x[tracks] = self.bank.x[tracks]
        self.saved_P[tracks] = self.bank.P[tracks]

    def _reupdate(self, tracks: np.ndarray, boxes: np.ndarray, gaps: np.ndarray) -> None:
        """ORU: back to the state at the last observation, then predict and update along the straight
        path (centre, width, height) from that observation to the new box over the gap's frames;
        every re-found track at once, step by step (a step advances the tracks whose gap is that
        long: at most the lost time in frames, where a loop per track cost OC-SORT half its speed)."""
        x, P = self.saved_x[tracks].copy(), self.saved_P[tracks].copy()
        start, end = self.last_obs[tracks], np.asarray(boxes, dtype=np.float64)
        c0, c1 = (start[:, :2] + start[:, 2:]) / 2, (end[:, :2] + end[:, 2:]) / 2
        wh0, wh1 = start[:, 2:] - start[:, :2], end[:, 2:] - end[:, :2]
        step = KalmanBoxBank(self.bank.m)  # the same filter, run on the tracks still on their path
        for i in range(1, int(gaps.max()) + 1):
            on = np.flatnonzero(gaps >= i)
            f = (i / gaps[on])[:, None]
            c, wh = c0[on] + (c1[on] - c0[on]) * f, wh0[on] + (wh1[on] - wh0[on]) * f
            step.x, step.P = x[on], P[on]
            step.predict(boxes=False)
            step.update(np.arange(len(on)), np.concatenate([c - wh / 2, c + wh / 2], axis=1))
            x[on], P[on] = step.x, step.P
        self.bank.x[tracks], self.bank.P[tracks] = x, P

    # --------------------------------------------------------------------------- one frame
    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               embeddings: np.ndarray | None = None) -> FrameResult:
        """OC-SORT uses no appearance; ``embeddings`` is accepted for the common interface."""
        p = self.p
        self.frame += 1
        boxes, scores = frame_input(boxes, scores)
        det_ids = np.full(len(boxes), -1, np.int64)
        pred = self.bank.predict()
        ok = np.isfinite(pred).all(1)
        dropped = self.ids[~ok].tolist(), self.confirmed[~ok].tolist()
        if not ok.all():
            self._keep(ok)
            pred = pred[ok]
        self.hit_streak[self.since_update > 0] = 0
        self.since_update += 1
        use = np.flatnonzero(scores > p.det_score)
        n_tracks = len(self.ids)
        prev = self._previous_obs()

        # 1: IoU plus direction agreement with the Kalman predictions
        iou = iou_matrix(pred, boxes[use])
        cost = -(iou + self._momentum_cost(boxes[use], scores[use], prev))
        pairs = min_cost_pairs(np.where(iou >= p.iou_threshold, cost, 1.0), 0.0)
        matched_t, matched_d = pairs[:, 0].astype(np.int64), use[pairs[:, 1]]
        free_t = np.ones(n_tracks, bool)
        free_t[matched_t] = False
        free_d = np.ones(len(use), bool)
        free_d[pairs[:, 1]] = False
        left_t, left_d = np.flatnonzero(free_t), use[free_d]

        # 2 (OCR): what is left, against the tracks' last observations
        if len(left_t) and len(left_d):
            iou2 = iou_matrix(self.last_obs[left_t], boxes[left_d])
            pairs2 = min_cost_pairs(np.where(iou2 >= p.iou_threshold, -iou2, 1.0), 0.0)
            matched_t = np.concatenate([matched_t, left_t[pairs2[:, 0]]])
            matched_d = np.concatenate([matched_d, left_d[pairs2[:, 1]]])
            still = np.ones(len(left_d), bool)
            still[pairs2[:, 1]] = False
            left_d = left_d[still]
        self._observe(matched_t, boxes[matched_d], prev)
        det_ids[matched_d] = self.ids[matched_t]
        if len(left_d):
            self._add(boxes[left_d])
            det_ids[left_d] = self.ids[-len(left_d):]

        report = (self.since_update < 1) & ((self.hit_streak >= p.min_hits) | (self.frame <= p.min_hits))
        self.confirmed |= report
        result = FrameResult(self.ids[report].copy(), self.last_obs[report].copy(), det_ids,
                             list(dropped[0]), list(dropped[1]))
        dead = self.since_update > self.max_age
        if dead.any():
            result.ended += self.ids[dead].tolist()
            result.ended_confirmed += self.confirmed[dead].tolist()
            self._keep(~dead)
        return result

    def _add(self, boxes: np.ndarray) -> None:
        n, k = len(boxes), self.delta_t + 1
        self.bank.add(boxes)
        new_ids = np.arange(self._next_id, self._next_id + n)
        self._next_id += n
        hist_frame = np.full((n, k), -1, np.int64)
        hist_frame[:, self.frame % k] = self.frame
        hist_box = np.zeros((n, k, 4))
        hist_box[:, self.frame % k] = boxes
        grow = {"ids": new_ids, "since_update": np.zeros(n, np.int64), "hit_streak": np.zeros(n, np.int64),
                "confirmed": np.zeros(n, bool), "last_obs": boxes, "hist_box": hist_box, "hist_frame": hist_frame,
                "direction": np.zeros((n, 2)), "saved_x": self.bank.x[-n:].copy(), "saved_P": self.bank.P[-n:].copy()}
        for name, v in grow.items():
            setattr(self, name, np.concatenate([getattr(self, name), v]))

    _FIELDS = ("ids", "since_update", "hit_streak", "confirmed", "last_obs", "hist_box", "hist_frame", "direction",
               "saved_x", "saved_P")

    def _keep(self, mask: np.ndarray) -> None:
        self.bank.keep(mask)
        for name in self._FIELDS:
            setattr(self, name, getattr(self, name)[mask])


def _centres(boxes: np.ndarray) -> np.ndarray:
    """(n, 2) box centres as (y, x): OC-SORT measures directions as (dy, dx)."""
    b = np.asarray(boxes).reshape(-1, 4)
    return (b[:, [1, 0]] + b[:, [3, 2]]) / 2

