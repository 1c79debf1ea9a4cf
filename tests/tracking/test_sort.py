from __future__ import annotations

import numpy as np
import pytest

from detection.mot_text import MotRows, read_mot
from tests.conftest import shared_path
from tracking.kalman import KalmanBoxBank, sort_box_model, x_to_xyxy, xyxy_to_z
from tracking.mot_metrics import evaluate_mot
from tracking.run_tracker import track_detections
from tracking.sort import SortTracker, TrackerConfig, associate, iou_matrix


def test_bank_matches_filterpy_step_by_step():
    from filterpy.kalman import KalmanFilter

    m = sort_box_model()
    rng = np.random.default_rng(0)
    boxes0 = np.array([[10, 20, 30, 80], [100, 50, 140, 150.0]])
    bank = KalmanBoxBank()
    bank.add(boxes0)
    refs = []
    for b in boxes0:
        kf = KalmanFilter(dim_x=7, dim_z=4)
        kf.F, kf.H, kf.Q, kf.R, kf.P = m.F.copy(), m.H.copy(), m.Q.copy(), m.R.copy(), m.P0.copy()
        kf.x[:4, 0] = xyxy_to_z(b)[0]
        refs.append(kf)
    for step in range(12):
        pred = bank.predict()
        for i, kf in enumerate(refs):
            kf.predict()
            assert np.allclose(pred[i], x_to_xyxy(kf.x[:, 0][None])[0])
        meas = boxes0 + step * 3 + rng.normal(0, 1, boxes0.shape)
        upd = np.array([0, 1]) if step % 3 else np.array([1])
        bank.update(upd, meas[upd])
        for i in upd:
            refs[i].update(xyxy_to_z(meas[i])[0])
        for i, kf in enumerate(refs):
            assert np.allclose(bank.x[i], kf.x[:, 0], atol=1e-8)
            assert np.allclose(bank.P[i], kf.P, atol=1e-6)


def test_iou_and_association():
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30.0]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [100, 100, 110, 110.0]])
    iou = iou_matrix(a, b)
    assert iou[0, 0] == 1 and abs(iou[0, 1] - 1 / 3) < 1e-12 and iou[1].max() == 0
    pairs = associate(a, b, 0.3)
    assert pairs.tolist() == [[0, 0]]
    # ambiguous case goes through the solver and still maximises IoU
    c = np.array([[0, 0, 10, 10], [4, 0, 14, 10.0]])
    d = np.array([[5, 0, 15, 10], [0, 0, 10, 10.0]])
    assert sorted(associate(c, d, 0.3).tolist()) == [[0, 1], [1, 0]]


def test_each_tracker_owns_its_ids():
    box = np.array([[0, 0, 10, 20.0]])
    t1, t2 = SortTracker(), SortTracker()
    for _ in range(3):
        r1, r2 = t1.update(box), t2.update(box)
    assert r1.ids.tolist() == [1] and r2.ids.tolist() == [1]


def test_track_lifecycle_and_ended_tracks():
    cfg = TrackerConfig(max_age=1, min_hits=3, iou_threshold=0.3)
    tr = SortTracker(cfg)
    box = np.array([[0, 0, 10, 20.0]])
    for f in range(5):
        r = tr.update(box + f)
        assert r.ids.tolist() == [1]
    r = tr.update(np.zeros((0, 4)))  # missed once: alive but not reported
    assert r.ids.tolist() == [] and r.ended == []
    r = tr.update(np.zeros((0, 4)))  # missed twice: max_age 1 exceeded
    assert r.ended == [1] and r.ended_confirmed == [True]


def test_ages_follow_fps():
    cfg = TrackerConfig(max_age=1, min_hits=3, reference_fps=10.0)
    assert cfg.for_fps(10.0) == TrackerConfig(max_age=1, min_hits=3, iou_threshold=0.3, reference_fps=None)
    assert cfg.for_fps(30.0) == TrackerConfig(max_age=3, min_hits=9, iou_threshold=0.3, reference_fps=None)
    assert cfg.for_fps(None) is cfg


def test_perfect_result_scores_one():
    f = np.repeat(np.arange(10), 2)
    ids = np.tile([1, 2], 10)
    boxes = np.array([[0, 0, 10, 20], [50, 0, 60, 20.0]])[np.tile([0, 1], 10)]
    gt = MotRows(f, ids, boxes, np.ones(20), np.zeros((20, 0)))
    s = evaluate_mot(gt, gt)
    assert s.mota == 1 and s.idf1 == 1 and s.id_switches == 0 and s.recall == 1
    swapped = MotRows(f, np.where(f < 5, ids, 3 - ids), boxes, np.ones(20), np.zeros((20, 0)))
    s2 = evaluate_mot(gt, swapped)
    assert s2.id_switches == 2 and s2.idf1 == pytest.approx(0.5)


def test_pets_public_detections_match_reference_sort():
    """SORT defaults on PETS09-S2L1 det.txt: the reference SORT scores MOTA 0.619, IDF1 0.351."""
    d = shared_path("pets09-s2l1")
    res = track_detections(read_mot(d / "det.txt"), TrackerConfig(algorithm="sort"))
    s = evaluate_mot(read_mot(d / "gt.txt"), res)
    assert s.mota >= 0.619 and s.idf1 >= 0.351
    assert s.id_switches <= 103


def test_nan_and_degenerate_rows_dropped_with_warning(tmp_path):
    p = tmp_path / "det.txt"
    p.write_text("1,-1,10,10,5,20,0.9\n1,-1,nan,10,5,20,0.9\n2,-1,10,10,-5,20,0.9\n2,-1,10,10,0,0,0.9\n"
                 "3,-1,11,10,5,20,0.8\n")
    with pytest.warns(UserWarning, match="dropped 3 row"):
        rows = read_mot(p)
    assert len(rows) == 2 and rows.frame.tolist() == [0, 2]
