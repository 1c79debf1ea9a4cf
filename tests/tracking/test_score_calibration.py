"""Calibrated scores: a tracker's thresholds read the same boxes alike whatever scale the detector
writes its scores on (issue 28), and the estimate tells people from flickering clutter."""
from __future__ import annotations

import numpy as np
import pytest

from detection.mot_text import MotRows
from tracking.run_tracker import track_detections
from tracking.score_calibration import ScoreCalibrator
from tracking.tracker_config import TRACKERS, TrackerConfig

RESCALINGS = {
    "x100": lambda s: s * 100.0,
    "cubed": lambda s: s ** 3,
    "square root": np.sqrt,
    "logistic": lambda s: 1.0 / (1.0 + np.exp(-(s - 0.5) * 10.0)),
    "into [0.15, 0.3]": lambda s: 0.15 + 0.15 * (s - s.min()) / np.ptp(s),
}


def scene(seed: int = 0, frames: int = 120) -> MotRows:
    """Six walkers (scores high, lower while a post hides them) and clutter boxes that appear for
    one frame at random places with low scores."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(6):
        x0, v = rng.uniform(20, 600), rng.uniform(-4, 4)
        for t in range(frames):
            x = x0 + v * t
            if not 0 < x < 620:
                continue
            hidden = 40 <= (x % 200) <= 70  # behind a post: a low score, as a detector gives it
            s = rng.uniform(0.15, 0.45) if hidden else rng.uniform(0.7, 0.99)
            rows.append((t, x, 100 + 40 * p, x + 30, 180 + 40 * p, s))
    for t in range(frames):
        for _ in range(rng.poisson(1.5)):
            x, y = rng.uniform(0, 600), rng.uniform(0, 400)
            rows.append((t, x, y, x + 25, y + 70, rng.uniform(0.1, 0.5)))
    a = np.array(rows)
    return MotRows(a[:, 0].astype(int), -np.ones(len(a), int), a[:, 1:5], a[:, 5], np.zeros((len(a), 0)))


def rescaled(d: MotRows, f) -> MotRows:
    return MotRows(d.frame, d.ids, d.boxes, f(d.score), d.extra)


@pytest.mark.parametrize("algorithm", TRACKERS)
def test_every_monotone_rescaling_gives_the_same_tracks(algorithm):
    d = scene()
    cfg = TrackerConfig(algorithm=algorithm, scores="calibrated")
    base = track_detections(d, cfg, 10.0)
    assert len(base.frame) > 100
    for name, f in RESCALINGS.items():
        got = track_detections(rescaled(d, f), cfg, 10.0)
        assert np.array_equal(got.frame, base.frame) and np.array_equal(got.ids, base.ids), name
        np.testing.assert_allclose(got.boxes, base.boxes, err_msg=name)


def test_raw_mode_keeps_the_scale_dependence_for_who_wants_it():
    d = scene()
    cfg = TrackerConfig(algorithm="bytetrack", scores="raw")
    given = track_detections(d, cfg, 10.0)
    squeezed = track_detections(rescaled(d, RESCALINGS["into [0.15, 0.3]"]), cfg, 10.0)
    assert len(squeezed.frame) == 0 < len(given.frame)  # nothing reaches the raw 0.6 to start a track


def test_online_estimate_matches_the_whole_video_and_ranks_clutter_low():
    d = scene(frames=300)
    by = d.by_frame()
    frames = [(d.boxes[by[t]], d.score[by[t]]) if t in by else (np.zeros((0, 4)), np.zeros(0)) for t in range(300)]
    primed = ScoreCalibrator(10.0)
    primed.prime(frames)
    online = ScoreCalibrator(10.0)
    first = online(*frames[0])
    assert first is not None and np.all(first == 1.0)  # before any evidence, every box counts
    for boxes, scores in frames[1:]:
        online(boxes, scores)
    np.testing.assert_allclose(online.curve, primed.curve, atol=0.25)  # its last refit came before the end
    assert online.curve[0] < 0.5
    curve = primed.curve
    assert np.all(np.diff(curve) >= 0) and curve[-1] == 1.0
    # the lowest ranks are mostly one-frame clutter: they read far below the people's
    assert curve[0] < 0.5 < curve[-3]


def test_unusable_boxes_and_nan_scores_take_no_part():
    cal = ScoreCalibrator(10.0)
    out = cal(np.array([[0, 0, 10, 20], [np.nan, 0, 1, 1], [0, 0, 10, 20]]), np.array([0.5, 0.9, np.nan]))
    assert out is not None and out[0] == 1.0 and np.isneginf(out[1:]).all()
    assert cal(np.zeros((0, 4)), None) is None  # unscored input stays unscored
