"""Running feature sums of the groups a union-find builds, so that a link between two groups can
be judged by the groups, not only by the two tracklets it joins.

Why: with many cameras every tracklet has a mutual nearest neighbour in most other cameras, and a
chain of pair links each under the distance cut (A-B, B-C, C-D ...) joins people whose own
tracklets are far apart. Comparing the two groups' mean features refuses the link that would
join two people through one close pair: their means sit near the people's own centres.
"""
from __future__ import annotations

import numpy as np


class GroupCentroids:
    """Sums and counts of the features of each group with two or more members (a singleton's
    mean is its own row, kept implicit)."""

    def __init__(self, features: np.ndarray):
        self.features = features
        self._sum: dict[int, np.ndarray] = {}
        self._count: dict[int, int] = {}

    def _get(self, root: int) -> tuple[np.ndarray, int]:
        return self._sum.get(root, self.features[root]), self._count.get(root, 1)

    def grouped(self, ra: int, rb: int) -> bool:
        """Whether either root holds a group of two or more (two singletons: the pair decides)."""
        return ra in self._count or rb in self._count

    def distance(self, ra: int, rb: int) -> float:
        """Euclidean distance between the mean features of the groups rooted at ``ra`` and ``rb``."""
        (sa, na), (sb, nb) = self._get(ra), self._get(rb)
        return float(np.linalg.norm(sa / na - sb / nb))

    def join(self, root: int, other: int) -> None:
        """Group ``other`` was joined into group ``root``."""
        (sa, na), (sb, nb) = self._get(root), self._get(other)
        self._sum[root] = sa + sb
        self._count[root] = na + nb
        self._sum.pop(other, None)
        self._count.pop(other, None)

    def seed(self, roots: np.ndarray) -> None:
        """Start from groups already made (``roots``: each row's group root)."""
        sizes = np.bincount(roots, minlength=len(roots))
        multi = np.flatnonzero(sizes > 1)
        if not len(multi):
            return
        rows = np.flatnonzero(sizes[roots] > 1)
        rows = rows[np.argsort(roots[rows], kind="stable")]  # each group's rows together, groups as `multi`
        starts = np.searchsorted(roots[rows], multi)
        sums = np.add.reduceat(self.features[rows], starts, axis=0)
        for r, total in zip(multi.tolist(), sums):
            self._sum[r] = total
            self._count[r] = int(sizes[r])
