"""Cross-camera tracklet association (UTAL Eq. 9): which tracklets of other cameras each
tracklet is pulled towards. Computed in row blocks; never an N x N matrix."""
from __future__ import annotations

import torch

from reid.neighbours.config import NeighbourConfig
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.neighbours.topk import mutual
from reid.utal.config import MODES


def pair_neighbours(mode: str, k: int) -> int:
    """How many other-camera neighbours of each tracklet ``mode`` reads (`cross_camera_matches`)."""
    if mode not in MODES:
        raise ValueError(f"unknown cross-camera mode {mode!r}")
    return 1 if mode in ("reciprocal", "one_way") else k


def cross_camera_matches(memory: torch.Tensor, camera_of: torch.Tensor, mode: str = "reciprocal",
                         k: int = 1, search: NeighbourConfig = NeighbourConfig(),
                         neighbours: CameraNeighbours | None = None) -> torch.Tensor:
    """(N, k) indices of each tracklet's matches in other cameras, -1 where none. ``neighbours``: a
    pass over ``memory`` made already (its other-camera table is read when it is long enough).

    reciprocal: j = 1-NN(i) among other cameras and i = 1-NN(j) (the paper; at most one match);
    one_way: j = 1-NN(i) (ablation); two_way_knn: j in kNN(i) and i in kNN(j) (ablation, k = 5 or 10).
    """
    kk = pair_neighbours(mode, k)
    cams = camera_of.to(memory.device)
    N = memory.shape[0]
    if N == 0 or cams.unique().numel() < 2:
        return torch.full((N, kk), -1, dtype=torch.long)

    if neighbours is None or neighbours.across_idx.shape[1] < kk:
        neighbours = camera_neighbours(memory.float(), cams.cpu().numpy(), 0, kk, search)
    nn = neighbours.across_idx[:, :kk]
    if mode == "one_way":
        return nn.cpu()
    # reciprocity: i must be among the neighbours of each of its neighbours
    return torch.where(mutual(nn), nn, torch.full_like(nn, -1)).cpu()


def pair_stats(matches: torch.Tensor, gt: torch.Tensor | None) -> dict:
    """UTAL Fig. 6: the number of cross-camera pairs (unordered: a reciprocal pair i <-> j counts
    once, though both i and j have a match), the tracklets with a match and, with ground truth,
    the precision of the pairs."""
    has = matches >= 0
    src = torch.arange(len(matches)).unsqueeze(1).expand_as(matches)[has]
    dst = matches[has]
    lo, hi = torch.minimum(src, dst), torch.maximum(src, dst)
    pairs = torch.unique(torch.stack([lo, hi], 1), dim=0) if len(lo) else torch.zeros(0, 2, dtype=torch.long)
    out = {"pairs": int(len(pairs)), "matched_tracklets": int(has.any(1).sum()), "pair_precision": None}
    if gt is not None and len(pairs):
        a, b = gt[pairs[:, 0]], gt[pairs[:, 1]]
        known = (a >= 0) & (b >= 0)
        if known.any():
            out["pair_precision"] = float((a[known] == b[known]).float().mean())
    return out
