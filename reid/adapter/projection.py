"""A site adapter for a model whose weights cannot be trained here (`learn --pretrained X.xml`:
OpenVINO IR has no PyTorch weights): a linear projection of its frozen features, learnt from the
site's tracklets without labels.

Features are first standardised per camera (what every comparison across cameras does for a
download). Then the cross-camera mutual nearest neighbours are taken as pairs of one person (on
CUHK03's training tracklets with Intel 0277: 563 pairs, 0.91 of them right; the precision is
measured for this note only, learning reads no identity), and the projection keeps the directions
along which those pairs differ least relative to how all tracklets differ: the generalised
eigenvectors of (all-tracklet covariance, pair-difference covariance), both shrunk toward the
identity (linear discriminant analysis with pseudo-pairs, KISSME's idea in closed form). No
iterations, no seeds: the same store gives the same adapter.

Its two constants were chosen by 5-fold cross-validation over CUHK03's training identities (fit on
four fifths without labels, mAP on the held-out fifth; never the test split): shrinkage 2.5 x the
mean variance and 0.75 of the dimensions kept, among 0.25 / 2.5 / 25 / 100 and 0.25 / 0.5 / 0.75 /
1.0 (`tools/bench_adapter.py`). CUHK03 test, Intel 0277 camera-normalised: R1 / mAP 0.739 / 0.744
as downloaded, 0.799 / 0.791 adapted (docs/accuracy.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch

from reid.models.camera_norm import standardize_per_camera
from tracklet_reid.errors import InputError

SHRINK = 2.5  # times the features' mean variance, added to both covariances
KEEP = 0.75  # share of the dimensions kept
MIN_PAIRS = 20  # fewer cross-camera pairs than this say too little to learn a projection from


@dataclass
class SiteProjection:
    matrix: torch.Tensor  # (D, K): applied to per-camera standardised features
    pairs: int  # cross-camera mutual nearest neighbours it was learnt from
    tracklets: int


def fit_projection(features: torch.Tensor, camera_of: np.ndarray, shrink: float = SHRINK,
                   keep: float = KEEP) -> SiteProjection:
    """The projection of (N, D) frozen features of a site's tracklets (see the module's rule)."""
    from reid.neighbours.search import camera_neighbours

    cams = np.asarray(camera_of)
    if len(np.unique(cams)) < 2:
        raise InputError("a site adapter learns from people seen by two or more cameras: this store has one camera")
    z = standardize_per_camera(features, cams)
    _, i, j = camera_neighbours(z, cams, 1, max(8, 2 * len(np.unique(cams)))).mutual_across(cams)
    if len(i) < MIN_PAIRS:
        raise InputError(f"only {len(i)} tracklets are each other's nearest across cameras (a site adapter needs "
                         f"{MIN_PAIRS}): extract more footage, or use the model as it is (--model X.xml)")
    x = z.double().numpy()
    total = np.cov(x.T)
    ridge = shrink * np.trace(total) / len(total) * np.eye(len(total))
    within = np.cov((x[i] - x[j]).T) + ridge
    values, vectors = scipy.linalg.eigh(total + ridge, within)
    k = max(1, int(round(keep * len(total))))
    top = vectors[:, np.argsort(-values)[:k]]
    return SiteProjection(torch.from_numpy(top.astype(np.float32)), int(len(i)), int(len(x)))
