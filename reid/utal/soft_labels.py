"""Per-camera soft labels from a sparse kNN affinity over the tracklet memory (UTAL Eqs. 4-6).

Row i of camera t holds N(i) = {i} + its K nearest tracklets of the same camera, with weights
A(i, j) = exp(-||s_i - s_j||^2 / sigma^2), sigma^2 the camera's mean squared kNN distance (Eq. 5),
normalised to sum to one. Stored sparse: (K + 1) label indices and weights per tracklet.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.neighbours.config import NeighbourConfig
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.neighbours.topk import affinity_from


@dataclass
class SoftLabels:
    index: torch.Tensor  # (N, K + 1) long: label columns in the tracklet's own camera branch
    weight: torch.Tensor  # (N, K + 1) float, rows sum to 1 (padding has weight 0)
    sigma2: list[float]  # per camera
    neighbours: dict | None = None  # how the neighbours were found (method; recall where approximate)

    def to(self, device) -> "SoftLabels":
        return SoftLabels(self.index.to(device), self.weight.to(device), self.sigma2, self.neighbours)

    def dense_row(self, i: int, width: int) -> torch.Tensor:
        row = torch.zeros(width)
        row.index_add_(0, self.index[i].cpu(), self.weight[i].cpu())
        return row


def compute_soft_labels(memory: torch.Tensor, camera_slices: list[slice], K: int,
                        search: NeighbourConfig = NeighbourConfig(),
                        neighbours: CameraNeighbours | None = None) -> SoftLabels:
    """``camera_slices[t]`` selects camera t's rows of the global memory (tracklets are grouped by
    camera). K = 0 gives one-hot labels (the hard-label ablation). ``neighbours``: a pass over
    ``memory`` made already with at least K own-camera neighbours."""
    N = memory.shape[0]
    camera_of = np.zeros(N, np.int64)
    for t, sl in enumerate(camera_slices):
        camera_of[sl] = t
    table = None
    if K > 0:
        usable = neighbours is not None and neighbours.within_idx.shape[1] >= K
        table = neighbours if usable else camera_neighbours(memory, camera_of, K, 0, search)
    width = min(K, max((s.stop - s.start for s in camera_slices), default=1) - 1) + 1 if K > 0 else 1
    width = max(width, 1)
    index = torch.zeros(N, width, dtype=torch.long)
    weight = torch.zeros(N, width)
    sigmas = []
    for sl in camera_slices:
        k = min(K, sl.stop - sl.start - 1)
        near = table.within_camera(sl, k) if table is not None and k > 0 else \
            (torch.zeros(sl.stop - sl.start, 0), torch.zeros(sl.stop - sl.start, 0, dtype=torch.long))
        idx, val, s2 = affinity_from(*near)
        val = val / val.sum(1, keepdim=True)
        index[sl, : idx.shape[1]] = idx.cpu()
        weight[sl, : val.shape[1]] = val.cpu()
        sigmas.append(s2)
    return SoftLabels(index, weight, sigmas, table.summary() if table is not None else None)


def hard_labels(camera_slices: list[slice], classes: torch.Tensor | None = None) -> SoftLabels:
    """One-hot labels: each tracklet its own class, or ``classes`` (N,) given per tracklet (the
    weakly supervised ablation's per-camera identity classes)."""
    N = camera_slices[-1].stop if camera_slices else 0
    if classes is None:
        classes = torch.cat([torch.arange(s.stop - s.start) for s in camera_slices]) if N else torch.zeros(0)
    return SoftLabels(classes.long().view(-1, 1), torch.ones(N, 1), [0.0] * len(camera_slices))


def same_identity_label_similarity(labels: SoftLabels, camera_slices: list[slice],
                                   gt: torch.Tensor) -> float | None:
    """UTAL Fig. 4 diagnostic: mean cosine similarity between the soft labels of tracklets of the same
    identity in the same camera (higher: fragments of one person share label mass). None when no
    identity has two tracklets in one camera (image benchmarks imported one tracklet per camera)."""
    sims = []
    for sl in camera_slices:
        g = gt[sl]
        ids = g[g >= 0].unique()
        width = sl.stop - sl.start
        for pid in ids.tolist():
            members = (torch.nonzero(g == pid).flatten() + sl.start).tolist()
            if len(members) < 2:
                continue
            rows = torch.stack([labels.dense_row(i, width) for i in members])
            rows = torch.nn.functional.normalize(rows, dim=1)
            s = rows @ rows.T
            n = len(members)
            sims.append(float((s.sum() - s.diagonal().sum()) / (n * (n - 1))))
    return float(sum(sims) / len(sims)) if sims else None
