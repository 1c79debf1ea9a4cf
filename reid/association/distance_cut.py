"""How far apart two mutual nearest neighbours of different cameras may be and still be one person,
read from the distances themselves.

Mutual pairs are of two kinds: one person seen by both cameras (near), and two people each seen by
one camera only, who are nearest to each other for want of their own match (far). A two-group 1-D
Gaussian mixture over the pairs' distances finds the two; pairs beyond the far group's mean are
dropped: typical or worse of the pairs that are not one person. The cut sits there, not where the
groups are equally likely, because a true link lost costs more than a false one kept: on the
synthetic worlds the equal-likelihood cut lost MC IDF1 (0.693 -> 0.640) where every person walks
through two or more cameras (docs/association.md).

Written by hand: a 2-component EM in one dimension is a dozen lines, and scikit-learn (its
GaussianMixture) is not a dependency of this project.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PAIRS = 8  # fewer distances than this say nothing about two groups: no cut


@dataclass(frozen=True)
class DistanceCuts:
    pair: float  # a link between two tracklets: the far group's mean
    group: float  # a link into a group of two or more, judged by the groups' mean features


def mixture_cut(distances: np.ndarray, iterations: int = 200) -> float | None:
    """The far group's mean, or None when the distances do not split into two groups (too few, or
    the groups' means closer than their spreads)."""
    cuts = mixture_cuts(distances, iterations)
    return None if cuts is None else cuts.pair


def mixture_cuts(distances: np.ndarray, iterations: int = 200) -> DistanceCuts | None:
    """The pair cut (the far group's mean) and the group cut (the near group's mean plus two of its
    spreads, at most the pair cut), or None when the distances do not split into two groups.

    Why two: the permissive pair cut keeps true links that a stricter one would lose, but at scale
    the false ones it keeps chain people together (1,000,000 tracklets in 20 cameras: pair
    precision 0.005). A group's mean feature is steadier than one tracklet's, so a link into a
    group can be held to what one person's pairs look like."""
    x = np.sort(np.asarray(distances, np.float64))
    x = x[np.isfinite(x)]
    if len(x) < MIN_PAIRS or x[-1] - x[0] <= 0:
        return None
    mean = np.quantile(x, [0.25, 0.75])
    sd = np.full(2, x.std() / 2 + 1e-9)
    w = np.full(2, 0.5)
    for _ in range(iterations):
        like = w * np.exp(-0.5 * ((x[:, None] - mean) / sd) ** 2) / sd
        r = like / np.maximum(like.sum(1, keepdims=True), 1e-300)
        n = r.sum(0) + 1e-12
        w, mean = n / len(x), (r * x[:, None]).sum(0) / n
        sd = np.sqrt((r * (x[:, None] - mean) ** 2).sum(0) / n) + 1e-6
    near, far = np.argsort(mean)
    if mean[far] - mean[near] < sd[near] + sd[far] or w[far] < 1 / len(x):
        return None
    return DistanceCuts(float(mean[far]), float(min(mean[far], mean[near] + 2 * sd[near])))
