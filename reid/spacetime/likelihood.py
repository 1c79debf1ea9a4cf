"""How much more likely a pair of tracklets' times and places are if they are one person than if
they are two: the space-time factor that association multiplies into the appearance odds.

For tracklets i (camera a) and j (camera b), every route of the camera pair (a walk, an indirect
walk, a shared view) predicts one aligned difference (b's entry less a's exit for a walk a -> b;
mid-times for a shared view). Under "one person" the pair took one of the routes, in proportion to
how many matches each explained; under "two people" the difference falls as any two tracklets'
do (the random-pair density). So

    ratio = sum_k share_k * N(x_k; lag_k, sd_k) / random_k(x_k) * zones_k

with zones_k the route's (exit zone, entry zone) probability over its chance level, mixed with a
share ``off`` of one person's pairs that fit no route (people stop for coffee, take a way seen too
rarely to show, or a tracklet ends inside the view): ratio = off + (1 - off) * the sum. How sure
the routes are of covering everyone grows with the matches they explain: ``off`` is
MIN_MATCHES / (route matches + MIN_MATCHES), as if MIN_MATCHES pseudo-matches had fallen off every
route, and never below ``FLOOR``. Measured on the rendered network world with ImageNet features
(routes of 10-40 matches, one direction of a link often unfound): with ``off`` fixed at ``FLOOR``
half the true pairs of linked cameras sat at the floor and fused R1 fell below appearance. A camera pair with few
matches says nothing (ratio 1); one whose many matches time explains none of says people rarely go
between those cameras (`unlinked_pairs`). Two
tracklets seen at once by cameras that do not watch one place are impossible (ratio 0), on clocks
corrected by the learnt offsets. Where no camera pair has a route at all, the clocks themselves
are not trusted and the ratio is 1 for every pair, the veto included: the prior switches itself
off where time showed no structure.
"""
from __future__ import annotations

import math

import numpy as np

from reid.spacetime.timing import PairDensity, normal, pair_density
from reid.spacetime.topology import MIN_MATCHES, Route, SpaceTimeData, Topology

FLOOR = 0.02  # a pair that fits none of its cameras' routes keeps this much of its odds
LOG_CLIP = 12.0
SQRT_2PI = math.sqrt(2 * math.pi)
# a step of an itinerary must keep more than a little of its odds: a pair that fits no route at all
# keeps FLOOR (log -3.9); this is two and a half times that
PATH_MIN_LOG_RATIO = float(np.log(2.5 * FLOOR))


def unlinked_pairs(topology: Topology) -> dict[tuple[int, int], float]:
    """Log ratio of camera pairs whose confident matches time explains none of: people rarely go
    between them. With n matches and no peak, at most about 3 / n of them are one person (the rule
    of three, 95 %), against the share ``E`` time explains over the whole network; the ratio is
    (3 / n) / E, between ``FLOOR`` and 1, so a few matches say little and hundreds say much."""
    cross = [p for p in topology.pairs if p.cameras[0] != p.cameras[1]]
    matches = sum(p.matches for p in cross)
    explained = sum((1 - p.chance) * p.matches for p in cross) / matches if matches else 0.0
    if explained <= 0:
        return {}
    return {tuple(p.cameras): float(np.log(np.clip(3.0 / p.matches / explained, FLOOR, 1.0)))  # type: ignore[misc]
            for p in cross if not p.routes and p.matches >= MIN_MATCHES}


class SpaceTimePrior:
    """The topology's log ratio for any pairs of tracklets of the data it is given."""

    def __init__(self, topology: Topology, data: SpaceTimeData, veto: bool = True):
        self.topology, self.data, self.veto = topology, data, veto
        C = len(data.cameras)
        self.entry_zone = np.full(len(data.camera_of), -1, np.int64)
        self.exit_zone = np.full(len(data.camera_of), -1, np.int64)
        self.exit_share, self.entry_share = [], []
        for c in range(C):
            rows = data.camera_of == c
            z = topology.zones[c]
            self.entry_zone[rows], self.exit_zone[rows] = z.label(data.entry[rows]), z.label(data.exit[rows])
            k = len(z.centres)
            self.exit_share.append(_shares(self.exit_zone[rows], k))
            self.entry_share.append(_shares(self.entry_zone[rows], k))
        self.first, self.last = topology.corrected(data)
        self.coexist = topology.overlapping()
        self.apart = unlinked_pairs(topology)
        # per camera pair (a < b): its routes with the random-pair density of each route's difference
        self.routes: dict[tuple[int, int], list[tuple[Route, PairDensity]]] = {}
        self.off: dict[tuple[int, int], float] = {}
        densities: dict[tuple[str, int, int], PairDensity] = {}
        for r in topology.routes():
            if r.kind == "re-entry" or r.source == r.target:
                continue
            key = ("mid" if r.kind == "overlap" else "walk", r.source, r.target)
            if key not in densities:
                densities[key] = self._density(r)
            self.routes.setdefault((min(r.source, r.target), max(r.source, r.target)), []).append((r, densities[key]))
        for pair, routes in self.routes.items():
            self.off[pair] = max(FLOOR, MIN_MATCHES / (sum(r.matches for r, _ in routes) + MIN_MATCHES))

    def _density(self, r: Route) -> PairDensity:
        d = self.data
        rs, rt = d.camera_of == r.source, d.camera_of == r.target
        if r.kind == "overlap":
            return pair_density(d.mid[rs], d.mid[rt])
        return pair_density(d.last[rs], d.first[rt])

    @property
    def active(self) -> bool:
        """Whether any camera pair has routes (else the prior is 1 for every pair but the veto)."""
        return bool(self.routes)

    def impossible(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Pairs seen at once (corrected clocks) by one camera, or by cameras that do not watch one place."""
        ci, cj = self.data.camera_of[i], self.data.camera_of[j]
        at_once = (self.first[i] <= self.last[j]) & (self.first[j] <= self.last[i])
        # one view never holds one person twice at once either
        return at_once & (i != j) & ((ci == cj) | ~self.coexist[ci, cj]) & self.veto

    def log_ratio(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(pairs,) log of the space-time ratio; -inf for impossible pairs, 0 where the cameras have
        no routes."""
        i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        out = np.zeros(len(i))
        if not self.active:  # time showed no structure anywhere: the clocks are not trusted either
            return out
        ci, cj = self.data.camera_of[i], self.data.camera_of[j]
        lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
        key = lo.astype(np.int64) * len(self.data.cameras) + hi
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        for rows in np.split(order, bounds):
            if len(rows) == 0:
                continue
            pair = (int(lo[rows[0]]), int(hi[rows[0]]))
            routes = self.routes.get(pair)
            if not routes:
                out[rows] = self.apart.get(pair, 0.0)
                continue
            a_side = ci[rows] == pair[0]  # orient every pair as (tracklet of a, tracklet of b)
            u, v = np.where(a_side, i[rows], j[rows]), np.where(a_side, j[rows], i[rows])
            out[rows] = self._pair_log_ratio(routes, u, v, self.off[pair])
        out[self.impossible(i, j)] = -np.inf
        return out

    def path_ok(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether one person could be seen at tracklet u and next at v: not impossible, and where
        the cameras have routes, near enough to one of them (`PATH_MIN_LOG_RATIO`). Match asks
        this for a step or two per union, a hundred thousand times: pair by pair in plain Python,
        where numpy's per-call cost on arrays of one was most of match's time."""
        return np.array([self.one_log_ratio(int(a), int(b)) >= PATH_MIN_LOG_RATIO for a, b in zip(u, v)], bool)

    def one_log_ratio(self, i: int, j: int) -> float:
        """`log_ratio` of one pair (the same number)."""
        if not self.active:
            return 0.0
        cam = self.data.camera_of
        ci, cj = int(cam[i]), int(cam[j])
        if (self.veto and i != j and self.first[i] <= self.last[j] and self.first[j] <= self.last[i]
                and (ci == cj or not self.coexist[ci, cj])):
            return -np.inf
        pair = (min(ci, cj), max(ci, cj))
        routes = self.routes.get(pair)
        if not routes:
            return self.apart.get(pair, 0.0)
        u, v = (i, j) if ci == pair[0] else (j, i)
        d = self.data
        total = sum(r.matches for r, _ in routes)
        ratio = 0.0
        for r, bg in routes:
            s, t = (u, v) if r.source == cam[u] else (v, u)
            # mid-times of the two alone (the data's ``mid`` builds the whole column)
            if r.kind == "overlap":
                x = ((d.first[t] + d.last[t]) - (d.first[s] + d.last[s])) / 2
            else:
                x = d.first[t] - d.last[s]
            z = (x - r.lag) / r.sd
            dens = math.exp(-0.5 * z * z) / (r.sd * SQRT_2PI)
            ratio += (r.matches / total) * dens / bg.at(x) * self._one_zone_ratio(r, s, t)
        off = self.off[pair]
        return float(min(max(math.log(off + (1 - off) * ratio), -LOG_CLIP), LOG_CLIP))

    def _one_zone_ratio(self, r: Route, s: int, t: int) -> float:
        zs, zt = int(self.exit_zone[s]), int(self.entry_zone[t])
        if r.zones is None or zs < 0 or zt < 0:
            return 1.0
        chance = self.exit_share[r.source][zs] * self.entry_share[r.target][zt]
        return float(r.zones[zs, zt] / max(chance, 1e-12))

    def _pair_log_ratio(self, routes: list[tuple[Route, PairDensity]], u: np.ndarray, v: np.ndarray,
                        off: float) -> np.ndarray:
        d = self.data
        total = sum(r.matches for r, _ in routes)
        ratio = np.zeros(len(u))
        for r, bg in routes:
            s, t = (u, v) if r.source == d.camera_of[u[0]] else (v, u)  # the route's source tracklets
            x = r.values(d, s, t)
            ratio += (r.matches / total) * normal(x, r.lag, r.sd) / bg(x) * self._zone_ratio(r, s, t)
        return np.clip(np.log(off + (1 - off) * ratio), -LOG_CLIP, LOG_CLIP)

    def _zone_ratio(self, r: Route, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        if r.zones is None:
            return np.ones(len(s))
        zs, zt = self.exit_zone[s], self.entry_zone[t]
        ok = (zs >= 0) & (zt >= 0)
        out = np.ones(len(s))
        chance = self.exit_share[r.source][zs[ok]] * self.entry_share[r.target][zt[ok]]
        out[ok] = r.zones[zs[ok], zt[ok]] / np.maximum(chance, 1e-12)
        return out


def _shares(labels: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels[labels >= 0], minlength=k).astype(np.float64) + 0.5
    return counts / counts.sum()

