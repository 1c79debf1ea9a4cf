"""Disjoint sets of tracklets with the time veto: one person is not in two places at once, so a
union that would put two tracklets overlapping in time into one set is refused. Merge (within a
camera) and match (across cameras) both build their groups with it. Cameras that watch one place
(overlapping views) may see a person at once: ``coexist[a, b]`` lifts the veto between cameras a
and b (never within one camera).

Written by hand: scipy's DisjointSet has no veto hook, and the veto needs each set's members.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

PAIRWISE_MAX = 4096  # member pairs compared directly; above, a sort (`_sweep_overlaps`)


class TimedUnionFind:
    def __init__(self, first: np.ndarray, last: np.ndarray, time_veto: bool = True,
                 camera_of: np.ndarray | None = None, coexist: np.ndarray | None = None,
                 path_ok: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None):
        self.first = np.asarray(first)
        self.last = np.asarray(last)
        # ``path_ok(u, v)``: whether a person seen at u can be seen next at v (the learnt network's
        # routes); a union whose merged itinerary has a step that fits no route is refused
        self.path_ok = path_ok
        self.parent = np.arange(len(self.first))
        self.time_veto = time_veto
        self.camera_of = None if coexist is None else np.asarray(camera_of)
        self.coexist = None if coexist is None else np.asarray(coexist, bool)
        # members of the sets with two or more; a singleton's members are itself (kept implicit, so
        # building the structure costs nothing per tracklet)
        self._members: dict[int, np.ndarray] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    def members(self, root: int) -> np.ndarray:
        return self._members.get(root, np.array([root]))

    def overlaps(self, ra: int, rb: int) -> bool:
        """Whether any member of root ``ra``'s set overlaps any member of ``rb``'s in time."""
        a, b = self.members(ra), self.members(rb)
        if len(a) * len(b) > PAIRWISE_MAX:
            return self._sweep_overlaps(a, b)
        fa, la, fb, lb = self.first[a], self.last[a], self.first[b], self.last[b]
        both = (fa[:, None] <= lb[None, :]) & (fb[None, :] <= la[:, None])
        if self.coexist is not None and self.camera_of is not None:
            both &= ~self.coexist[self.camera_of[a][:, None], self.camera_of[b][None, :]]
        return bool(both.any())

    def _sweep_overlaps(self, a: np.ndarray, b: np.ndarray) -> bool:
        """The same answer without the len(a) x len(b) matrix (appearance alone at a million
        tracklets chains sets of thousands, and each union compared every pair of their members);
        with views that watch one place, b's members camera by camera against the members of a
        whose cameras do not share a view with it."""
        if self.coexist is None or self.camera_of is None:
            return _spans_meet(self.first[a], self.last[a], self.first[b], self.last[b])
        ca, cb = self.camera_of[a], self.camera_of[b]
        for c in np.unique(cb):
            apart, here = a[~self.coexist[ca, c]], b[cb == c]
            if len(apart) and _spans_meet(self.first[apart], self.last[apart], self.first[here], self.last[here]):
                return True
        return False

    def itinerary_ok(self, ra: int, rb: int) -> bool:
        """Whether every step between a member of one set and the next member (in time) of the
        other is a step ``path_ok`` allows."""
        assert self.path_ok is not None
        a, b = self.members(ra), self.members(rb)
        m = np.concatenate([a, b])
        side = np.r_[np.zeros(len(a), bool), np.ones(len(b), bool)]
        order = np.argsort(self.first[m], kind="stable")
        m, side = m[order], side[order]
        step = np.flatnonzero(side[1:] != side[:-1])
        return bool(self.path_ok(m[step], m[step + 1]).all())

    def union(self, a: int, b: int) -> bool:
        """Join the sets of ``a`` and ``b`` (``a``'s root stays the root). False when the time veto
        refuses; True when joined or already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.time_veto and self.overlaps(ra, rb):
            return False
        if self.path_ok is not None and not self.itinerary_ok(ra, rb):
            return False
        self.parent[rb] = ra
        joined = np.concatenate([self.members(ra), self.members(rb)])
        self._members.pop(rb, None)
        self._members[ra] = joined
        return True

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def _spans_meet(fa: np.ndarray, la: np.ndarray, fb: np.ndarray, lb: np.ndarray) -> bool:
    """Whether any span [fa, la] meets any span [fb, lb]: a's sorted by start with the running
    latest end; a span of b meets one of a's iff the latest end among those starting before it
    ends reaches its start. O((len(a) + len(b)) log len(a)), never the pairs."""
    if len(fa) < len(fb):
        fa, la, fb, lb = fb, lb, fa, la
    order = np.argsort(fa, kind="stable")
    starts, reach = fa[order], np.maximum.accumulate(la[order])
    k = np.searchsorted(starts, lb, side="right")
    met = k > 0
    return bool((reach[k[met] - 1] >= fb[met]).any())
