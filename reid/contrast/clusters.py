"""The second learner's pseudo-label step: tracklets grouped into identities across cameras, with
cannot-links, once per epoch (OpenUnReID's label-generator shape: a function of the memory).

Groups are grown by joining mutual k-nearest-neighbour pairs in order of distance, the closest
first, and a join is refused when it would put two tracklets of one camera that overlap in time
into one identity (one person is not twice in one view at once: the cannot-links of time-overlap,
as in tracklet association). Where a store's frame numbers are not video time (the imported image
benchmarks restart them in every tracklet) every two tracklets of one camera count as overlapping,
which is UTAL's own assumption: within a camera each tracklet is its own person.

Why not DBSCAN as in cluster contrast: DBSCAN's eps is a global distance that moves as the features
train, and it has no cannot-links; mutual neighbours need no threshold and the veto is exact.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from reid.association.union_find import TimedUnionFind
from reid.neighbours.config import NeighbourConfig
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.neighbours.topk import mutual


def camera_timeline(camera_of: np.ndarray, first: np.ndarray, last: np.ndarray, time_known: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Spans on one axis where only tracklets of the same camera can overlap: each camera gets its
    own stretch of the axis; without real time a tracklet fills its camera's whole stretch."""
    cam = np.asarray(camera_of, dtype=np.int64)
    first, last = np.asarray(first, dtype=np.int64), np.asarray(last, dtype=np.int64)
    span = int(max(last.max(initial=0), first.max(initial=0))) + 2
    base = cam * span
    if not time_known:
        return base, base + span - 1
    return base + first, base + last


def mutual_pairs(features: torch.Tensor, camera_of: torch.Tensor | np.ndarray, k: int, across: bool,
                 search: NeighbourConfig = NeighbourConfig(), table: CameraNeighbours | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, squared distance) with i < j for every pair that are each other's k-nearest neighbours
    among the other cameras' tracklets (``across``) or their own camera's. The neighbours come from
    the shared camera search (``table``, else one made with ``search``): exact below its threshold,
    approximate (faiss IVF-PQ) past it, so a refresh over a million tracklets is not an all-pairs sweep."""
    if table is None:
        table = camera_neighbours(features.float(), np.asarray(camera_of), k, k, search)
    nn = (table.across_idx if across else table.within_idx)[:, :k]
    d = (table.across_d2 if across else table.within_d2)[:, :k]
    n = features.shape[0]
    if nn.numel() == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32)
    rows = torch.arange(n, device=nn.device).unsqueeze(1).expand_as(nn)
    keep = mutual(nn) & (rows < nn)
    return rows[keep].cpu().numpy(), nn[keep].cpu().numpy(), d[keep].cpu().numpy()


# noqa reason: the features, the three per-tracklet facts and the switches of the pair mining
def cluster_tracklets(features: torch.Tensor, camera_of: np.ndarray, first: np.ndarray,  # noqa: PLR0913
                      last: np.ndarray, time_known: bool, k: int = 1, within_camera: bool = True,
                      keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                      search: NeighbourConfig = NeighbourConfig()) -> np.ndarray:
    """(N,) identity label per tracklet, 0..C-1 (a tracklet joined to nothing has its own).

    Candidate links: mutual k-NN pairs across cameras and, where time is known and
    ``within_camera``, within a camera (fragments of one person); joined closest first under the
    cannot-links (see the module's note)."""
    table = camera_neighbours(features.float(), np.asarray(camera_of), k, k, search)  # one search, both lists
    parts = [mutual_pairs(features, camera_of, k, across=True, table=table)]
    if keep is not None:  # cross-camera pairs the learnt camera network contradicts are not mined
        ok = keep(parts[0][0], parts[0][1])
        parts = [(parts[0][0][ok], parts[0][1][ok], parts[0][2][ok])]
    if time_known and within_camera:
        parts.append(mutual_pairs(features, camera_of, k, across=False, table=table))
    i = np.concatenate([p[0] for p in parts])
    j = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    lo, hi = camera_timeline(np.asarray(camera_of), first, last, time_known)
    sets = TimedUnionFind(lo, hi)
    for e in np.argsort(d, kind="stable"):
        sets.union(int(i[e]), int(j[e]))
    _, labels = np.unique(sets.roots(), return_inverse=True)
    return labels.astype(np.int64)
