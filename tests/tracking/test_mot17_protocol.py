"""The MOT16/17 evaluation protocol beside MOT15's: distractor classes and non-pedestrian rows are
handled as TrackEval's MotChallenge2DBox handles them, so numbers on MOT17-style ground truth
compare with official results."""
from __future__ import annotations

import numpy as np
import pytest

from detection.mot_text import MotRows
from tracking.mot_metrics import evaluate_mot, has_classes
from tracklet_reid.errors import InputError


def _rows(rows, extra_cols=3):
    a = np.asarray(rows, dtype=float)
    return MotRows(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2:6], a[:, 6], a[:, 7:7 + extra_cols])


BOX_A, BOX_B, BOX_C = [0, 0, 10, 20], [50, 0, 60, 20], [100, 0, 110, 20]


def test_distractor_matches_and_other_classes_are_not_blamed():
    gt = _rows([[f, 1, *BOX_A, 1, 1, 1.0, 0] for f in range(10)]  # a pedestrian
               + [[f, 2, *BOX_B, 1, 7, 0.8, 0] for f in range(10)]  # a static person: a distractor
               + [[f, 3, *BOX_C, 0, 3, 1.0, 0] for f in range(10)])  # a car, flagged 0
    res = _rows([[f, 5, *BOX_A, 1, -1, -1, -1] for f in range(10)]
                + [[f, 6, *BOX_B, 1, -1, -1, -1] for f in range(10)])
    assert has_classes(gt)
    mot17 = evaluate_mot(gt, res, protocol="mot17")
    assert mot17.false_positives == 0 and mot17.false_negatives == 0 and mot17.mota == pytest.approx(1.0)
    assert evaluate_mot(gt, res).mota == pytest.approx(1.0)  # auto: class columns found -> mot17
    mot15 = evaluate_mot(gt, res, protocol="mot15")  # the static person is ground truth there
    assert mot15.false_positives == 0 and mot15.gt_identities == 2
    # a result box on a distractor that is *also* a false positive under mot15: not blamed under mot17
    res2 = _rows([[f, 5, *BOX_A, 1, -1, -1, -1] for f in range(10)] + [[f, 6, *BOX_B, 1, -1, -1, -1]
                                                                      for f in range(10)])
    gt_no_static = gt.select(gt.ids != 2)
    gt_no_static_cls = _rows([[f, 1, *BOX_A, 1, 1, 1.0, 0] for f in range(10)]
                             + [[f, 2, *BOX_B, 1, 2, 0.8, 0] for f in range(10)])  # a person on a vehicle
    assert evaluate_mot(gt_no_static, res2, protocol="mot15").false_positives == 10
    assert evaluate_mot(gt_no_static_cls, res2, protocol="mot17").false_positives == 0


def test_mot15_files_stay_mot15_and_mot17_needs_classes():
    pets_like = _rows([[f, 1, *BOX_A, 1, -4.15, -7.36, 0] for f in range(5)])  # world coordinates there
    assert not has_classes(pets_like)
    res = _rows([[f, 1, *BOX_A, 1, -1, -1, -1] for f in range(5)])
    assert evaluate_mot(pets_like, res).mota == pytest.approx(1.0)
    with pytest.raises(InputError, match="class and visibility columns"):
        evaluate_mot(pets_like, res, protocol="mot17")
