"""Disjoint sets of tracklets with the time veto: one person is not in two places at once, so a
union that would put two tracklets overlapping in time into one set is refused. Merge (within a
camera) and match (across cameras) both build their groups with it.

Written by hand: scipy's DisjointSet has no veto hook, and the veto needs each set's spans.
"""
from __future__ import annotations

import numpy as np


class TimedUnionFind:
    def __init__(self, first: np.ndarray, last: np.ndarray, time_veto: bool = True):
        n = len(first)
        self.parent = np.arange(n)
        self.time_veto = time_veto
        # spans of each root's members, as two arrays (first frames, last frames)
        self._spans: dict[int, tuple[np.ndarray, np.ndarray]] = {
            i: (np.asarray(first[i:i + 1]), np.asarray(last[i:i + 1])) for i in range(n)}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    def overlaps(self, ra: int, rb: int) -> bool:
        """Whether any member of root ``ra``'s set overlaps any member of ``rb``'s in time."""
        fa, la = self._spans[ra]
        fb, lb = self._spans[rb]
        return bool(((fa[:, None] <= lb[None, :]) & (fb[None, :] <= la[:, None])).any())

    def union(self, a: int, b: int) -> bool:
        """Join the sets of ``a`` and ``b`` (``a``'s root stays the root). False when the time veto
        refuses; True when joined or already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.time_veto and self.overlaps(ra, rb):
            return False
        self.parent[rb] = ra
        fa, la = self._spans[ra]
        fb, lb = self._spans.pop(rb)
        self._spans[ra] = (np.concatenate([fa, fb]), np.concatenate([la, lb]))
        return True

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)
