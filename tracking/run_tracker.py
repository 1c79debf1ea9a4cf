"""The tracker alone over MOTChallenge detections (what `pipeline track` runs)."""
from __future__ import annotations

import numpy as np

from detection.mot_text import MotRows
from tracking.score_calibration import CalibratedTracker
from tracking.tracker_config import TrackerConfig
from tracking.trackers import build_tracker


def track_detections(dets: MotRows, config: TrackerConfig = TrackerConfig(), fps: float | None = None,
                     num_frames: int | None = None, min_score: float = -np.inf) -> MotRows:
    """Run the configured tracker over every frame of ``dets`` at ``fps`` (None: unknown); returns
    the reported tracks as MOT rows."""
    dets = dets.select(dets.score >= min_score) if np.isfinite(min_score) else dets
    tracker = build_tracker(config, fps)
    by_frame = dets.by_frame()
    if isinstance(tracker, CalibratedTracker):  # the whole file is at hand: score every frame alike
        tracker.calibrator.prime([(dets.boxes[i], dets.score[i]) for _, i in sorted(by_frame.items())])
    last = int(dets.frame.max(initial=-1))
    T = max(last + 1, num_frames or 0)
    frames, ids, boxes = [], [], []
    empty = np.zeros((0, 4))
    present = np.unique(dets.frame)
    t = 0
    while t < T:
        idx = by_frame.get(t)
        if idx is None and tracker.live == 0:
            # nothing alive and nothing seen: jump to the next frame with detections in one step, so a
            # file with one huge frame number costs no time (the frames between change nothing)
            nxt = int(present[np.searchsorted(present, t)]) if t <= present[-1] else T
            tracker.idle(nxt - t)
            t = nxt
            continue
        r = tracker.update(dets.boxes[idx] if idx is not None else empty,
                           dets.score[idx] if idx is not None else empty[:, 0])
        t += 1
        if len(r.ids):
            frames.append(np.full(len(r.ids), t - 1))
            ids.append(r.ids)
            boxes.append(r.boxes)
    if not frames:
        z = np.zeros(0, np.int64)
        return MotRows(z, z, np.zeros((0, 4)), np.zeros(0), np.zeros((0, 0)))
    f = np.concatenate(frames)
    return MotRows(f, np.concatenate(ids), np.concatenate(boxes), np.ones(len(f)), np.zeros((len(f), 0)))
