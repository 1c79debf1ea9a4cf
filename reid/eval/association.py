"""Ground-truth scores of merge and match on stores whose tracklets carry identities."""
from __future__ import annotations

import numpy as np
import torch

from reid.eval.cluster_metrics import nmi, pairwise_precision_recall
from reid.eval.cross_camera import cross_camera_retrieval
from reid.tracklet_index import TrackletIndex


def labelled_nmi(index: TrackletIndex, labels: np.ndarray, rows: slice = slice(None)) -> float | None:
    """NMI of ``labels`` against the identities of the labelled tracklets among ``rows`` (None when
    fewer than two are labelled)."""
    gt = index.gt[rows]
    known = gt >= 0
    return nmi(gt[known], labels[rows][known]) if known.sum() >= 2 else None


def identity_scores(index: TrackletIndex, labels: np.ndarray, features: torch.Tensor) -> dict:
    """Global identities against ground truth: cross-camera pair precision / recall and the
    cross-camera retrieval Rank-1 / 5 and mAP of the features."""
    res: dict = {"global_identities": int(labels.max(initial=-1)) + 1}
    known = np.flatnonzero(index.gt >= 0)
    if len(known) >= 2:
        cams = index.camera_of[known]
        pr = pairwise_precision_recall(index.gt[known], labels[known], lambda i, j: cams[i] != cams[j])
        res.update({"cross_camera_precision": pr["precision"], "cross_camera_recall": pr["recall"]})
        r = cross_camera_retrieval(features, index)
        if r is not None:
            res.update({"rank1": r.rank(1), "rank5": r.rank(5), "mAP": r.mAP})
    return res
