"""Entry and exit zones of a camera's image, from where its tracklets begin and end (normalised
foot points): k-means (scipy.cluster.vq.kmeans2) for k = 1..``MAX_ZONES``, the k whose zones are
best separated (mean silhouette on a sample) kept. Points inside the image where a tracker lost a
person fall into zones of their own or join the nearest; nothing downstream trusts a zone more
than the pairs that use it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.spatial.distance import cdist

MAX_ZONES = 6
SAMPLE = 1500  # points the silhouette is computed on
MIN_SILHOUETTE = 0.5  # below this no split is clear: one zone


@dataclass
class Zones:
    centres: np.ndarray  # (k, 2) normalised x, y
    radius: np.ndarray  # (k,) 90th percentile distance of the zone's points to its centre
    share: np.ndarray  # (k,) of the tracklet ends

    def label(self, points: np.ndarray) -> np.ndarray:
        """Nearest zone of each point (-1 where the point is unknown)."""
        p = np.asarray(points, np.float64)
        out = np.full(len(p), -1, np.int64)
        ok = np.isfinite(p).all(1)
        if ok.any():
            out[ok] = cdist(p[ok], self.centres).argmin(1)
        return out

    def as_dict(self) -> list[dict]:
        return [{"zone": k, "x": round(float(c[0]), 4), "y": round(float(c[1]), 4), "radius": round(float(r), 4),
                 "share": round(float(s), 4)} for k, (c, r, s) in enumerate(zip(self.centres, self.radius, self.share))]


def _silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    k = labels.max() + 1
    if k < 2:
        return 0.0
    d = cdist(x, x)
    mean_to = np.stack([d[:, labels == c].mean(1) if (labels == c).any() else np.full(len(x), np.inf)
                        for c in range(k)], 1)
    own = labels
    sizes = np.bincount(own, minlength=k)
    a = mean_to[np.arange(len(x)), own] * sizes[own] / np.maximum(sizes[own] - 1, 1)
    mean_to[np.arange(len(x)), own] = np.inf
    b = mean_to.min(1)
    s = (b - a) / np.maximum(np.maximum(a, b), 1e-12)
    return float(np.where(sizes[own] > 1, s, 0.0).mean())


def find_zones(points: np.ndarray, seed: int = 0) -> Zones:
    """Zones of one camera from its tracklets' entry and exit points (rows with NaN ignored)."""
    p = np.asarray(points, np.float64)
    p = p[np.isfinite(p).all(1)]
    if len(p) == 0:
        return Zones(np.array([[0.5, 0.5]]), np.array([0.5]), np.array([1.0]))
    rng = np.random.default_rng(seed)
    sample = p[rng.choice(len(p), min(SAMPLE, len(p)), replace=False)]
    best, best_s = np.array([p.mean(0)]), MIN_SILHOUETTE
    for k in range(2, min(MAX_ZONES, len(np.unique(sample, axis=0))) + 1):
        centres, lab = kmeans2(sample, k, seed=seed, minit="++")
        s = _silhouette(sample, lab)
        if s > best_s:
            best, best_s = centres, s
    labels = cdist(p, best).argmin(1)
    d = np.linalg.norm(p - best[labels], axis=1)
    radius = np.array([np.quantile(d[labels == z], 0.9) if (labels == z).any() else 0.0 for z in range(len(best))])
    share = np.bincount(labels, minlength=len(best)) / len(p)
    return Zones(best, radius, share)
