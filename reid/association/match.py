"""Cross-camera matching: ranked matches for every tracklet, and global identities.

Global identities link tracklets of different cameras that are each other's nearest neighbour
(mutual NN per camera pair), strongest first, and never put into one identity two tracklets that
overlap in time (one person is not in two places at once; camera clocks are taken as
synchronised). Within-camera trajectories from `merge` can seed the identities.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.association.union_find import TimedUnionFind
from reid.neighbours import topk_neighbours


@dataclass
class RankedMatches:
    index: np.ndarray  # (N, k) global tracklet indices in other cameras, -1 padding
    distance: np.ndarray  # (N, k) Euclidean distances


def ranked_matches(features: torch.Tensor, camera_of: np.ndarray, k: int = 10) -> RankedMatches:
    cams = torch.as_tensor(camera_of)
    d2, idx = topk_neighbours(features.float(), k, exclude_self=False,
                              block_mask=lambda r, c: cams[r][:, None] == cams[c][None, :])
    return RankedMatches(idx.cpu().numpy(), d2.clamp_min(0).sqrt().cpu().numpy())


def global_identities(features: torch.Tensor, camera_of: np.ndarray, first: np.ndarray, last: np.ndarray,
                      seed_labels: np.ndarray | None = None, max_distance: float | None = None,
                      time_constraint: bool = True) -> tuple[np.ndarray, dict]:
    """(N,) global identity per tracklet and link statistics.

    ``seed_labels``: within-camera trajectory labels unique across cameras (from merge); tracklets
    sharing one start in one identity. Cross-camera links: mutual nearest neighbours between each
    pair of cameras, by ascending distance, skipping links that would join overlapping tracklets.
    """
    cams = np.asarray(camera_of)
    f = features.float()
    sets = TimedUnionFind(first, last, time_veto=time_constraint)
    find, union = sets.find, sets.union

    if seed_labels is not None:
        for lab in np.unique(seed_labels):
            grp = np.flatnonzero(seed_labels == lab)
            for m in grp[1:]:
                union(int(grp[0]), int(m))
    links = []
    cam_ids = np.unique(cams)
    for ai, a in enumerate(cam_ids):
        ia = np.flatnonzero(cams == a)
        for b in cam_ids[ai + 1:]:
            ib = np.flatnonzero(cams == b)
            dab, nab_t = topk_neighbours(f[ia], 1, y=f[ib])
            _, nba_t = topk_neighbours(f[ib], 1, y=f[ia])
            nab, nba = nab_t[:, 0].cpu().numpy(), nba_t[:, 0].cpu().numpy()
            mutual = nba[nab] == np.arange(len(ia))
            for i in np.flatnonzero(mutual):
                links.append((float(dab[i, 0].sqrt()), int(ia[i]), int(ib[nab[i]])))
    links.sort()
    made = refused = too_far = 0
    for d, i, j in links:
        if max_distance is not None and d > max_distance:
            too_far += 1
            continue
        if find(i) == find(j):  # already one identity (a seed or an earlier link)
            continue
        if union(i, j):
            made += 1
        else:
            refused += 1
    _, labels = np.unique(sets.roots(), return_inverse=True)
    return labels.astype(np.int64), {"mutual_links": len(links), "links_made": made,
                                     "links_refused_time_overlap": refused, "links_over_distance": too_far}
