"""Cross-camera retrieval on a store with ground truth: every labelled tracklet queries all
tracklets; the same identity in the same camera is excluded (the standard protocol), unlabelled
tracklets (false tracks) stay in the gallery as distractors."""
from __future__ import annotations

import numpy as np
import torch

from reid.eval.rank_metrics import RankResult, evaluate_features
from reid.tracklet_index import TrackletIndex


def cross_camera_retrieval(features: torch.Tensor, index: TrackletIndex) -> RankResult | None:
    q = np.flatnonzero(index.gt >= 0)
    if len(q) == 0 or len(index.cameras) < 2:
        return None
    f = features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    return evaluate_features(f[q], f, index.gt[q], index.camera_of[q], index.gt, index.camera_of)
