"""Tracking refinement (UTAL Table 6): join fragmented tracklets of one camera into trajectories.

Tracklets are linked when their affinity (Eq. 4: kNN with the same K and adaptive sigma as the
soft labels) exceeds a threshold; trajectories are the connected components of that sparse graph
(scipy.sparse.csgraph). One person cannot be in two places at once, so two tracklets that overlap
in time never end up in one trajectory: a component that would hold such a pair is rebuilt by
adding its links strongest first and skipping any link that would join overlapping tracklets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from reid.soft_labels import affinity


@dataclass
class MergeResult:
    labels: np.ndarray  # (M,) trajectory index of each tracklet (0..T-1)
    edges: int  # links above the threshold
    cut_links: int  # links dropped because they would join tracklets overlapping in time

    def summary(self) -> dict:
        sizes = np.bincount(self.labels) if len(self.labels) else np.zeros(0, np.int64)
        big = sizes >= 2
        return {"tracklets": int(len(self.labels)), "mergeable": int(sizes[big].sum()),
                "long_trajectories": int(big.sum()), "trajectories": int(len(sizes)), "links": self.edges,
                "links_cut_for_time_overlap": self.cut_links}


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def merge_tracklets(features: torch.Tensor, first: np.ndarray, last: np.ndarray, k: int = 4,
                    threshold: float = 0.5) -> MergeResult:
    """Trajectories for one camera's tracklets (features (M, D), frame spans first/last)."""
    M = features.shape[0]
    if M == 0:
        return MergeResult(np.zeros(0, np.int64), 0, 0)
    idx, val, _ = affinity(features.float(), k)
    rows = np.repeat(np.arange(M), idx.shape[1] - 1)
    cols = idx[:, 1:].cpu().numpy().ravel()
    a = val[:, 1:].cpu().numpy().ravel()
    keep = (a > threshold) & (cols >= 0) & (rows != cols)
    rows, cols, a = rows[keep], cols[keep], a[keep]
    # undirected: a link exists when either side has the other among its neighbours
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    key = lo * M + hi
    order = np.lexsort((-a, key))
    key, lo, hi, a = key[order], lo[order], hi[order], a[order]
    first_of = np.r_[True, key[1:] != key[:-1]]
    lo, hi, a = lo[first_of], hi[first_of], a[first_of]  # strongest affinity of each pair
    graph = coo_matrix((a, (lo, hi)), shape=(M, M))
    n_comp, comp = connected_components(graph, directed=False)
    labels = comp.copy()
    cut = 0
    spans = list(zip(np.asarray(first).tolist(), np.asarray(last).tolist()))
    for c in range(n_comp):
        members = np.flatnonzero(comp == c)
        if len(members) < 2 or not _has_overlap([spans[m] for m in members]):
            continue
        labels, n_cut = _constrained(members, lo, hi, a, spans, labels, next_label=labels.max() + 1)
        cut += n_cut
    _, labels = np.unique(labels, return_inverse=True)
    return MergeResult(labels.astype(np.int64), int(len(a)), cut)


def _has_overlap(spans: list[tuple[int, int]]) -> bool:
    s = sorted(spans)
    return any(s[i + 1][0] <= s[i][1] for i in range(len(s) - 1))


def _constrained(members, lo, hi, a, spans, labels, next_label):
    """Kruskal inside one component: strongest links first, never joining overlapping spans."""
    inside = np.isin(lo, members) & np.isin(hi, members)
    el, eh, ea = lo[inside], hi[inside], a[inside]
    parent = {int(m): int(m) for m in members}
    groups = {int(m): [spans[m]] for m in members}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    cut = 0
    for e in np.argsort(-ea, kind="stable"):
        r1, r2 = find(int(el[e])), find(int(eh[e]))
        if r1 == r2:
            continue
        if any(_overlap(s1, s2) for s1 in groups[r1] for s2 in groups[r2]):
            cut += 1
            continue
        parent[r2] = r1
        groups[r1].extend(groups.pop(r2))
    roots = {}
    for m in members:
        r = find(int(m))
        if r not in roots:
            roots[r] = next_label + len(roots)
        labels[m] = roots[r]
    return labels, cut
