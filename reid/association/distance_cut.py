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
TIE_SLOPE = 1e-6  # log odds per unit distance where the odds are flat (beyond both groups)


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
    m = fit_mixture(distances, iterations)
    if m is None:
        return None
    return DistanceCuts(m.far_mean, float(min(m.far_mean, m.mean[0] + 2 * m.sd[0])))


@dataclass(frozen=True)
class DistanceMixture:
    """Two Gaussians over mutual pairs' distances: [0] one person (near), [1] two people (far)."""

    weight: np.ndarray
    mean: np.ndarray
    sd: np.ndarray

    @property
    def far_mean(self) -> float:
        return float(self.mean[1])

    def log_odds(self, d: np.ndarray) -> np.ndarray:
        """log P(one person | d) / P(two | d) among mutual pairs: the appearance evidence that
        association adds the space-time log ratio to."""
        d = np.asarray(d, np.float64)
        lo, hi = self.mean[0] - 4 * self.sd[0], self.mean[1] + 4 * self.sd[1]
        grid = np.linspace(lo, hi, 512)
        # two Gaussians of unequal spread give odds that turn back up at one end: nearer must never
        # be less likely, so from the near group's mean outwards the odds only fall (beyond it: the
        # lowest so far), and below it they only rise (the highest up to that mean)
        raw = self._raw_log_odds(grid)
        k = int(np.searchsorted(grid, self.mean[0]))
        odds = np.r_[np.maximum.accumulate(raw[:k + 1][::-1])[::-1][:-1], np.minimum.accumulate(raw[k:])]
        return np.interp(d, grid, odds) - TIE_SLOPE * d  # ties broken by distance

    def _raw_log_odds(self, d: np.ndarray) -> np.ndarray:
        z = (d[..., None] - self.mean) / self.sd
        ll = np.log(self.weight) - np.log(self.sd) - 0.5 * z ** 2
        return ll[..., 0] - ll[..., 1]


def fit_mixture(distances: np.ndarray, iterations: int = 200,
                log_ratio: np.ndarray | None = None) -> DistanceMixture | None:
    """The two-group mixture, or None when the distances do not split into two groups (too few,
    or the groups' means closer than their spreads).

    ``log_ratio``: per pair, other evidence for "one person" (the space-time log ratio): each pair's
    odds of the near group are multiplied by it in every step, so that pairs that time supports
    teach the near group what one person's distances look like. With it a weak model's distances,
    which do not split by themselves, still give the two groups (TFusion's idea, without its
    self-training loop); the groups then need only be ordered."""
    x = np.asarray(distances, np.float64)
    lr = np.zeros(len(x)) if log_ratio is None else np.clip(np.asarray(log_ratio, np.float64), -12, 12)
    ok = np.isfinite(x) & np.isfinite(lr)
    x, lr = x[ok], lr[ok]
    if len(x) < MIN_PAIRS or x.max() - x.min() <= 0:
        return None
    mean = np.quantile(x, [0.25, 0.75])
    sd = np.full(2, x.std() / 2 + 1e-9)
    w = np.full(2, 0.5)
    boost = np.column_stack([np.exp(lr), np.ones(len(x))])
    for _ in range(iterations):
        like = boost * w * np.exp(-0.5 * ((x[:, None] - mean) / sd) ** 2) / sd
        r = like / np.maximum(like.sum(1, keepdims=True), 1e-300)
        n = r.sum(0) + 1e-12
        w, mean = n / len(x), (r * x[:, None]).sum(0) / n
        sd = np.sqrt((r * (x[:, None] - mean) ** 2).sum(0) / n) + 1e-6
    near, far = np.argsort(mean)
    apart = mean[far] - mean[near] >= (0 if log_ratio is not None else sd[near] + sd[far])
    if not apart or w[far] < 1 / len(x) or w[near] < 1 / len(x):
        return None
    order = [near, far]
    return DistanceMixture(w[order], mean[order], sd[order])
