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
from reid.neighbours.topk import affinity, affinity_from


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


# noqa reason: the features or their neighbours, the spans, and the two settings plus the veto switch
def merge_tracklets(features: torch.Tensor | None, first: np.ndarray, last: np.ndarray, k: int = 4,  # noqa: PLR0913
                    threshold: float = 0.5, time_veto: bool = True,
                    neighbours: tuple[torch.Tensor, torch.Tensor] | None = None) -> MergeResult:
    """Trajectories for one camera's tracklets (features (M, D), frame spans first/last).
    ``time_veto=False`` where frame numbers are not video time (imported benchmarks): spans say
    nothing about who was seen at once, so nothing is cut. ``neighbours``: each tracklet's k
    nearest of this camera found already (squared distances, camera-local indices, -1 for none;
    `CameraNeighbours.within_camera`), in place of searching ``features``."""
    M = len(first)
    if M == 0:
        return MergeResult(np.zeros(0, np.int64), 0, 0)
    if neighbours is not None:
        idx, val, _ = affinity_from(*neighbours)
    elif features is not None:
        idx, val, _ = affinity(features.float(), k)
    else:
        raise ValueError("merge_tracklets needs the features or their neighbours")
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
    clash = _components_with_overlap(comp, sets.first, sets.last)
    edge_comp = comp[lo]
    order = np.argsort(edge_comp, kind="stable")  # each component's links, found by bisection
    starts = np.searchsorted(edge_comp[order], np.arange(n_comp + 1))
    by_comp = np.argsort(comp, kind="stable")
    member_starts = np.searchsorted(comp[by_comp], np.arange(n_comp + 1))
    next_label = int(labels.max(initial=-1)) + 1
    for c in np.flatnonzero(clash):
        e = order[starts[c]:starts[c + 1]]
        members = by_comp[member_starts[c]:member_starts[c + 1]]
        cut += _constrained(members, lo[e], hi[e], a[e], sets, labels, next_label)
        next_label += len(members)
    _, labels = np.unique(labels, return_inverse=True)
    return MergeResult(labels.astype(np.int64), int(len(a)), cut)


def _components_with_overlap(comp: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """(n_comp,) bool: whether two tracklets of the component overlap in time, for all components
    at once (sorted by component then start, a start at or before the running latest end of its
    component is an overlap; offsetting spans by component keeps the running maximum per component)."""
    n_comp = int(comp.max(initial=-1)) + 1
    span = int(max(last.max(initial=0), first.max(initial=0))) - int(min(first.min(initial=0), 0)) + 1
    f = first.astype(np.int64) + comp.astype(np.int64) * span
    last_off = last.astype(np.int64) + comp.astype(np.int64) * span
    order = np.lexsort((f, comp))
    c, f, last_off = comp[order], f[order], last_off[order]
    hit = (c[1:] == c[:-1]) & (f[1:] <= np.maximum.accumulate(last_off)[:-1])
    out = np.zeros(n_comp, bool)
    out[c[1:][hit]] = True
    return out


def _constrained(members: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: np.ndarray, sets: TimedUnionFind,
                 labels: np.ndarray, next_label: int) -> int:
    """Kruskal inside one component (``lo, hi, a``: its links): strongest links first, never
    joining overlapping spans. Relabels ``members`` in place; returns the number of links cut."""
    el, eh, ea = lo, hi, a
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
