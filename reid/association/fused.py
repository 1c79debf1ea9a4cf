"""One same-person probability for a pair of tracklets of different cameras: appearance and space-
time, fused without labels.

Appearance: the two-group mixture over the mutual nearest neighbours' distances
(`distance_cut.fit_mixture`), fitted per site, gives the log odds that a pair at distance d is one
person among such pairs. Space-time: the learnt network's log ratio (`reid.spacetime.likelihood`).
They add (naive Bayes: time and looks are taken as independent given who the person is):

    log odds(one person | d, times, places) = appearance log odds(d) + space-time log ratio

Candidates are every pair in the cross-camera neighbour lists (both directions); a pair is linked
when each tracklet is the other's most probable of the other's camera (mutual best by the fused
odds, where appearance alone takes the mutual nearest) and its odds reach those appearance alone
gives at the distance cut, strongest first. Impossible pairs (seen at once by cameras that do not
watch one place, on corrected clocks) never enter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reid.association.distance_cut import DistanceMixture, fit_mixture
from reid.neighbours.search import CameraNeighbours
from reid.spacetime.likelihood import SpaceTimePrior

LOG_ODDS_CLIP = 12.0


def fused_log_odds(appearance: np.ndarray, spacetime: np.ndarray | float) -> np.ndarray:
    """Appearance log odds (clipped: a Gaussian tail's odds mean nothing past this) plus the
    space-time log ratio."""
    return np.clip(appearance, -LOG_ODDS_CLIP, LOG_ODDS_CLIP) + spacetime


def probability(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))


@dataclass
class FusedPairs:
    i: np.ndarray
    j: np.ndarray
    distance: np.ndarray
    appearance: np.ndarray  # appearance log odds
    spacetime: np.ndarray  # space-time log ratio (-inf: impossible)

    @property
    def log_odds(self) -> np.ndarray:
        return fused_log_odds(self.appearance, self.spacetime)


def candidate_pairs(nb: CameraNeighbours) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) of every pair in the cross-camera lists, once each (i < j)."""
    idx = nb.across_idx.cpu().numpy()
    d = nb.across_d2.clamp_min(0).sqrt().cpu().numpy()
    n, k = idx.shape
    rows = np.repeat(np.arange(n), k)
    cols, dist = idx.ravel(), d.ravel()
    ok = cols >= 0
    i, j = np.minimum(rows[ok], cols[ok]), np.maximum(rows[ok], cols[ok])
    key = i.astype(np.int64) * n + j
    _, first = np.unique(key, return_index=True)
    return i[first], j[first], dist[ok][first]


def fused_pairs(nb: CameraNeighbours, mixture: DistanceMixture, prior: SpaceTimePrior) -> FusedPairs:
    i, j, d = candidate_pairs(nb)
    return FusedPairs(i, j, d, mixture.log_odds(d), prior.log_ratio(i, j))


def mutual_best(i: np.ndarray, j: np.ndarray, score: np.ndarray, camera_of: np.ndarray) -> np.ndarray:
    """(pairs,) bool: i is j's highest-scoring candidate of i's camera and j is i's of j's camera."""
    C = int(camera_of.max()) + 1

    def best_for(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        group = u.astype(np.int64) * C + camera_of[v]
        order = np.lexsort((-score, group))
        head = np.r_[True, group[order][1:] != group[order][:-1]]
        out = np.zeros(len(u), bool)
        out[order[head]] = True
        return out

    return best_for(i, j) & best_for(j, i)


def fused_links(pairs: FusedPairs, camera_of: np.ndarray, min_log_odds: float) -> list[tuple[int, float, int, int]]:
    """(tier, -log odds, i, j) of the pairs to try, strongest first (tier 1: as appearance's links)."""
    score = pairs.log_odds
    keep = np.isfinite(score) & mutual_best(pairs.i, pairs.j, np.where(np.isfinite(score), score, -np.inf),
                                            np.asarray(camera_of)) & (score >= min_log_odds)
    order = np.argsort(-score[keep], kind="stable")
    s, i, j = score[keep][order], pairs.i[keep][order], pairs.j[keep][order]
    return [(1, float(-x), int(a), int(b)) for x, a, b in zip(s, i, j)]


def calibrate(nb: CameraNeighbours, camera_of: np.ndarray, prior: SpaceTimePrior) -> DistanceMixture | None:
    """The appearance mixture over the mutual nearest neighbours' distances, fitted with the
    space-time ratio as each pair's other evidence (`distance_cut.fit_mixture`)."""
    d, i, j = nb.mutual_across(np.asarray(camera_of))
    return fit_mixture(d, log_ratio=prior.log_ratio(i, j))


def reranked(idx: np.ndarray, dist: np.ndarray, mixture: DistanceMixture | None,
             prior: SpaceTimePrior | None) -> tuple[np.ndarray, np.ndarray]:
    """(order, log odds): each row's candidates ``idx`` (N, k; -1 padding) at ``dist`` reordered by
    the fused same-person odds, most probable first. Without a calibrated mixture or an active
    prior, the appearance order (odds: minus the distance)."""
    n, k = idx.shape
    if mixture is None or prior is None or not prior.active:
        return np.argsort(np.where(idx >= 0, dist, np.inf), axis=1, kind="stable"), -dist
    q = np.repeat(np.arange(n), k)
    ok = idx.ravel() >= 0
    st = np.full(n * k, -np.inf)
    st[ok] = prior.log_ratio(q[ok], idx.ravel()[ok])
    odds = fused_log_odds(mixture.log_odds(dist), st.reshape(n, k))
    return np.argsort(-odds, axis=1, kind="stable"), odds
