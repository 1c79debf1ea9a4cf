"""ByteTrack (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box",
ECCV 2022), written from the paper: every detection box takes part. High-score boxes are matched to
all tracks first; the tracks left over are then matched to the low-score boxes (an occluded person's
box scores low, and dropping it is what breaks SORT's tracks); a track without a box waits, lost,
for ``lost_seconds`` before it ends, and a new track is confirmed by a second box on the next frame.

Tracks are arrays (one row per track, one Kalman bank), as in our SORT; ids are per instance.
BoT-SORT (tracking/botsort) is this tracker with another motion model and appearance in the cost.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracking.association import iou_matrix, min_cost_pairs
from tracking.kalman import ScaledKalmanBank
from tracking.tracker_api import FrameResult, TrackArrays, frame_input, lost_frames

TRACKED, LOST = 0, 1


@dataclass(frozen=True)
class ByteTrackParams:
    """The paper's constants (its code's defaults for MOT17); times in seconds, so that every frame
    rate keeps the same memory."""

    high_score: float = 0.5  # boxes at or above take part in the first association
    low_score: float = 0.1  # boxes below are dropped; between low and high: second association only
    new_track_score: float = 0.6  # an unmatched high box starts a track only from this score
    first_max_cost: float = 0.8  # 1 - IoU x score, first association (high boxes, all tracks)
    second_max_cost: float = 0.5  # 1 - IoU, second association (low boxes, tracks still unmatched)
    unconfirmed_max_cost: float = 0.7  # 1 - IoU x score, a new track's second box
    lost_seconds: float = 1.0  # how long a lost track waits for its person (the paper: 30 frames at 30 fps)
    fuse_score: bool = True  # the detection score scales IoU in the first and unconfirmed stages
    motion: str = "xyah"  # Kalman state: DeepSORT's [cx, cy, aspect, h]
    motion_fps: float | None = None  # frame rate the Kalman motion noise is set for (None: per frame, the paper)


class ByteTracker(TrackArrays):
    def __init__(self, params: ByteTrackParams = ByteTrackParams(), fps: float | None = None):
        self.p = params
        self.max_lost = lost_frames(params.lost_seconds, fps)
        # DeepSORT's motion noise is per frame: read at ``motion_fps`` it becomes noise per second, so a
        # slow camera's track may change its velocity as much per frame as people do between its frames
        self.bank = ScaledKalmanBank(params.motion, params.motion_fps / fps if params.motion_fps and fps else 1.0)
        self.ids = np.zeros(0, np.int64)
        self.state = np.zeros(0, np.int64)
        self.confirmed = np.zeros(0, bool)  # the paper's "activated": a second box confirmed it
        self.last_frame = np.zeros(0, np.int64)
        self.features: np.ndarray | None = None  # (n, D) smoothed appearance, when embeddings are given
        self._pred = np.zeros((0, 4))  # this frame's predicted boxes
        self.frame = 0
        self._next_id = 1

    # ----------------------------------------------------------------------------- costs
    def _iou_cost(self, tracks: np.ndarray, boxes: np.ndarray, scores: np.ndarray, fuse: bool) -> np.ndarray:
        iou = iou_matrix(self._pred[tracks], boxes)
        return 1.0 - (iou * scores[None, :] if fuse else iou)

    def _cost(self, tracks: np.ndarray, boxes: np.ndarray, scores: np.ndarray, emb: np.ndarray | None
              ) -> np.ndarray:
        """Cost of the first and unconfirmed stages (BoT-SORT adds appearance here)."""
        return self._iou_cost(tracks, boxes, scores, self.p.fuse_score)

    # --------------------------------------------------------------------------- one frame
    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               embeddings: np.ndarray | None = None) -> FrameResult:
        p = self.p
        self.frame += 1
        boxes, scores = frame_input(boxes, scores)
        emb = None if embeddings is None else unit_rows(np.asarray(embeddings, dtype=np.float32))
        det_ids = np.full(len(boxes), -1, np.int64)
        self.bank.x[self.state == LOST, 7] = 0.0  # a lost track keeps its place and size, not its growth
        self.bank.predict()
        # predictions, once: a stage only ever scores tracks no earlier stage has updated this frame
        self._pred = self.bank.boxes()
        free = np.ones(len(boxes), bool)  # detections not taken yet
        matched = np.zeros(len(self.ids), bool)

        def stage(tracks: np.ndarray, dets: np.ndarray, cost_of, max_cost: float) -> np.ndarray:
            if len(tracks) == 0 or len(dets) == 0:
                return tracks[:0]
            pairs = min_cost_pairs(cost_of(tracks, dets), max_cost)
            t, d = tracks[pairs[:, 0]], dets[pairs[:, 1]]
            self._apply(t, d, boxes, scores, emb, det_ids)
            free[d] = False
            matched[t] = True
            return t

        high = np.flatnonzero(scores >= p.high_score)
        low = np.flatnonzero((scores < p.high_score) & (scores > p.low_score))
        # 1: confirmed tracks, tracked or lost, against the high boxes
        stage(np.flatnonzero(self.confirmed), high,
              lambda t, d: self._cost(t, boxes[d], scores[d], _rows(emb, d)), p.first_max_cost)
        # 2: tracks that were tracked until now against the low boxes, on IoU alone
        was_tracked = np.flatnonzero(self.confirmed & ~matched & (self.state == TRACKED))
        stage(was_tracked, low, lambda t, d: self._iou_cost(t, boxes[d], scores[d], False), p.second_max_cost)
        self.state[self.confirmed & ~matched] = LOST
        # 3: last frame's new tracks against the high boxes left; unmatched ones were noise
        unconfirmed = ~self.confirmed
        left_high = high[free[high]]
        confirmed_now = stage(np.flatnonzero(unconfirmed), left_high,
                              lambda t, d: self._cost(t, boxes[d], scores[d], _rows(emb, d)), p.unconfirmed_max_cost)
        self.confirmed[confirmed_now] = True
        dead = (unconfirmed & ~matched) | ((self.state == LOST) & (self.frame - self.last_frame > self.max_lost))

        # reported: confirmed tracks with a box this frame
        report = self.confirmed & matched
        result = FrameResult(self.ids[report].copy(), self.bank.boxes(report), det_ids,
                             self.ids[dead].tolist(), self.confirmed[dead].tolist())
        self._keep(~dead)

        # 4: new tracks from confident boxes nobody took (confirmed at once on the first frame)
        new = high[free[high] & (scores[high] >= p.new_track_score)]
        if len(new):
            self._add(new, boxes, emb, det_ids)
            if self.frame == 1:
                self.confirmed[-len(new):] = True
                fresh = np.arange(self.live - len(new), self.live)
                result.ids = np.concatenate([result.ids, self.ids[fresh]])
                result.boxes = np.concatenate([result.boxes, self.bank.boxes(fresh)])
        return result

    def _apply(self, tracks: np.ndarray, dets: np.ndarray, boxes: np.ndarray, scores: np.ndarray,
               emb: np.ndarray | None, det_ids: np.ndarray) -> None:
        if len(tracks) == 0:
            return
        self.bank.update(tracks, boxes[dets])
        self.state[tracks] = TRACKED
        self.last_frame[tracks] = self.frame
        det_ids[dets] = self.ids[tracks]
        if emb is not None and self.features is not None:
            self._update_features(tracks, emb[dets])

    def _update_features(self, tracks: np.ndarray, emb: np.ndarray) -> None:
        """Appearance memory: the plain latest embedding here; BoT-SORT smooths it."""
        assert self.features is not None
        self.features[tracks] = emb

    def _add(self, dets: np.ndarray, boxes: np.ndarray, emb: np.ndarray | None, det_ids: np.ndarray) -> None:
        n = len(dets)
        self.bank.add(boxes[dets])
        new_ids = np.arange(self._next_id, self._next_id + n)
        self._next_id += n
        self.ids = np.concatenate([self.ids, new_ids])
        self.state = np.concatenate([self.state, np.full(n, TRACKED)])
        self.confirmed = np.concatenate([self.confirmed, np.zeros(n, bool)])
        self.last_frame = np.concatenate([self.last_frame, np.full(n, self.frame)])
        if emb is not None:
            if self.features is None:
                self.features = np.zeros((len(self.ids) - n, emb.shape[1]), np.float32)
            self.features = np.concatenate([self.features, emb[dets]])
        elif self.features is not None:
            self.features = np.concatenate([self.features, np.zeros((n, self.features.shape[1]), np.float32)])
        det_ids[dets] = new_ids

    def _keep(self, mask: np.ndarray) -> None:
        self.bank.keep(mask)
        for name in ("ids", "state", "confirmed", "last_frame"):
            setattr(self, name, getattr(self, name)[mask])
        if self.features is not None:
            self.features = self.features[mask]


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _rows(x: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if x is None else x[rows]
