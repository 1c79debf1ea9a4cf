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

from reid.association.union_find import TimedUnionFind
from reid.neighbours import affinity


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


def merge_tracklets(features: torch.Tensor, first: np.ndarray, last: np.ndarray, k: int = 4,
                    threshold: float = 0.5, time_veto: bool = True) -> MergeResult:
    """Trajectories for one camera's tracklets (features (M, D), frame spans first/last).
    ``time_veto=False`` where frame numbers are not video time (imported benchmarks): spans say
    nothing about who was seen at once, so nothing is cut."""
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
    first_of = np.ones(len(key), bool)  # also right for a camera with no link at all
    first_of[1:] = key[1:] != key[:-1]
    lo, hi, a = lo[first_of], hi[first_of], a[first_of]  # strongest affinity of each pair
    graph = coo_matrix((a, (lo, hi)), shape=(M, M))
    n_comp, comp = connected_components(graph, directed=False)
    labels = comp.copy()
    cut = 0
    if not time_veto:
        _, labels = np.unique(labels, return_inverse=True)
        return MergeResult(labels.astype(np.int64), int(len(a)), 0)
    sets = TimedUnionFind(first, last)
    for c in range(n_comp):
        members = np.flatnonzero(comp == c)
        if len(members) < 2 or not _has_overlap(sets.first[members], sets.last[members]):
            continue
        cut += _constrained(members, lo, hi, a, sets, labels, next_label=labels.max() + 1)
    _, labels = np.unique(labels, return_inverse=True)
    return MergeResult(labels.astype(np.int64), int(len(a)), cut)


def _has_overlap(first: np.ndarray, last: np.ndarray) -> bool:
    order = np.argsort(first, kind="stable")
    f, last_sorted = first[order], last[order]
    return bool((f[1:] <= np.maximum.accumulate(last_sorted)[:-1]).any())


def _constrained(members: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: np.ndarray, sets: TimedUnionFind,
                 labels: np.ndarray, next_label: int) -> int:
    """Kruskal inside one component: strongest links first, never joining overlapping spans.
    Relabels ``members`` in place; returns the number of links cut."""
    inside = np.isin(lo, members) & np.isin(hi, members)
    el, eh, ea = lo[inside], hi[inside], a[inside]
    cut = 0
    for e in np.argsort(-ea, kind="stable"):
        r1, r2 = sets.find(int(el[e])), sets.find(int(eh[e]))
        if r1 == r2:
            continue
        if not sets.union(r1, r2):
            cut += 1
    roots: dict[int, int] = {}
    for m in members:
        r = sets.find(int(m))
        if r not in roots:
            roots[r] = next_label + len(roots)
        labels[m] = roots[r]
    return cut
