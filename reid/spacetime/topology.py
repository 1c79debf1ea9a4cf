"""The camera network learnt from unlabelled tracklets: which camera pairs are linked by walking
(and how long the walk takes), which watch one place, each camera's clock offset, and the zones
people use. Fitted from confident appearance matches (mutual nearest neighbours across cameras)
and the random-pair timing of the same cameras; it never reads ground truth.

Per camera pair (a, b), the matched pairs' mid-time differences are fitted by a mixture of the
random-pair density (chance: wrong matches, crowds) and peaks (`timing.fit_peaks`). Each peak is
a route, and which ends of the two tracklets line up tells what kind:

- a walk a -> b lines up a's exit with b's entry (``first_j - last_i`` is tight);
- a walk b -> a lines up b's exit with a's entry;
- two views of one place line up both entries and both exits (seen at once).

The kind with the tightest alignment wins (a walk leaves entries apart by the visit's length, a
shared view leaves exit-to-entry apart by it). A walk a -> c whose time is that of a -> b, a visit
to b and b -> c is indirect (a route, not a link). Clock offsets: a shared view gives the
difference of two clocks directly; a link walked both ways gives it as half the difference of its
two directions (walking is taken to take as long both ways); least squares over the camera graph,
the first camera of each connected group at 0. Re-entries into one camera come from its own
tracklets' matches, the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from reid.spacetime.offsets import pair_offset, refined_differences, solve_offsets
from reid.spacetime.presence import MIN_PAIRS as PRESENCE_MIN
from reid.spacetime.presence import overlap_rate, seen_at_once_overlapping
from reid.spacetime.timing import (
    MIN_SD_S,
    PairDensity,
    PeakFit,
    fit_peaks,
    pair_density,
    weighted_median,
    weighted_spread,
)
from reid.spacetime.zones import Zones, find_zones

MIN_MATCHES = 5  # fewer confident matches between two cameras say nothing about their link
KINDS = ("transit", "overlap", "indirect", "re-entry")
HIST_BINS = 40
MAX_BETWEEN = 0.5  # with too few walks to compare: indirect when most matches were seen by a third camera between
TIME_SLACK_S = 2.0  # clocks and tracker ends are this loose when judging "in between"


@dataclass
class SpaceTimeData:
    """What the model reads of each tracklet: camera, times in seconds on the camera's own clock,
    entry and exit foot points (NaN: unknown)."""

    cameras: list[str]
    camera_of: np.ndarray
    first: np.ndarray
    last: np.ndarray
    entry: np.ndarray
    exit: np.ndarray

    @classmethod
    def from_index(cls, index) -> "SpaceTimeData":
        n = index.num_tracklets
        unknown = np.full((n, 2), np.nan)
        return cls(list(index.cameras), np.asarray(index.camera_of), np.asarray(index.first_time, np.float64),
                   np.asarray(index.last_time, np.float64),
                   unknown if index.entry is None else np.asarray(index.entry, np.float64),
                   unknown if index.exit is None else np.asarray(index.exit, np.float64))

    @cached_property
    def mid(self) -> np.ndarray:
        # every camera pair's fit and every route's density read it: built once
        return (self.first + self.last) / 2


@dataclass
class Route:
    """One peak of one camera pair: a walk ``source`` -> ``target``, a shared view, or (source ==
    target) a re-entry. Lags are on the cameras' own clocks."""

    source: int
    target: int
    kind: str
    lag: float  # median of the aligned difference (entry - exit for walks, mid - mid for shared views)
    sd: float
    weight: float  # share of the camera pair's matches this route explains
    matches: float  # matches it explains
    gain: float  # log-likelihood it added over chance
    zones: np.ndarray | None = None  # (Z_source, Z_target) probability of (exit zone, entry zone)
    transit: float | None = None  # lag less the clocks' offset difference
    between: float = 0.0  # share of its matches seen by a third camera in between (walks)
    found_by: str = "timing"  # "timing": a peak above chance; "presence": the seen-at-once rule (few matches)
    histogram: dict = field(default_factory=dict)

    def values(self, data: SpaceTimeData, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The route's aligned difference for pairs (i of ``source``... j of ``target``)."""
        if self.kind == "overlap":
            return data.mid[j] - data.mid[i]
        return data.first[j] - data.last[i]


@dataclass
class PairEvidence:
    cameras: tuple[int, int]
    matches: int
    chance: float  # share of the matches explained by the random-pair density
    routes: list[Route]


@dataclass
class Topology:
    cameras: list[str]
    zones: list[Zones]
    pairs: list[PairEvidence]
    offsets: np.ndarray  # (C,) seconds each camera's clock is ahead of its group's first camera
    offset_known: np.ndarray  # (C,) bool: some evidence fixed it
    group: np.ndarray  # (C,) which clock group (cameras whose offsets are relative to each other)
    fixed: dict = field(default_factory=dict)  # what a user's edited file set: forbidden links, offsets

    def routes(self) -> list[Route]:
        return [r for p in self.pairs for r in p.routes]

    def links(self) -> list[Route]:
        """Direct walking links (not indirect, not shared views, not re-entries)."""
        return [r for r in self.routes() if r.kind == "transit"]

    def overlapping(self) -> np.ndarray:
        """(C, C) bool: camera pairs that watch one place."""
        C = len(self.cameras)
        out = np.zeros((C, C), bool)
        for r in self.routes():
            if r.kind == "overlap":
                out[r.source, r.target] = out[r.target, r.source] = True
        return out

    def corrected(self, data: SpaceTimeData) -> tuple[np.ndarray, np.ndarray]:
        """First / last times on one clock (each camera's offset taken off)."""
        o = self.offsets[data.camera_of]
        return data.first - o, data.last - o


def _histogram(x: np.ndarray, g: np.ndarray, bg: PairDensity, chance: float, lag: float, sd: float) -> dict:
    """Matched pairs around the route against what chance alone would put there."""
    half = max(4 * sd, 5.0)
    edges = np.linspace(lag - half, lag + half, HIST_BINS + 1)
    counts = np.histogram(x, edges)[0]
    centres = (edges[:-1] + edges[1:]) / 2
    expected = chance * len(x) * bg(centres) * (edges[1] - edges[0])
    return {"edges_s": np.round(edges, 3).tolist(), "matches": counts.tolist(),
            "chance": np.round(expected, 4).tolist(), "route_matches": round(float(g.sum()), 2)}


def _zone_table(zs: Zones, zt: Zones, exit_pts: np.ndarray, entry_pts: np.ndarray, g: np.ndarray) -> np.ndarray:
    a, b = zs.label(exit_pts), zt.label(entry_pts)
    table = np.full((len(zs.centres), len(zt.centres)), 0.5)
    ok = (a >= 0) & (b >= 0)
    np.add.at(table, (a[ok], b[ok]), g[ok])
    return table / table.sum()


@dataclass
class _PairFit:
    """One camera pair's matches and the mixture over their mid-time differences."""

    a: int
    b: int
    i: np.ndarray  # matches, i in camera a, j in camera b
    j: np.ndarray
    x: np.ndarray  # mid_j - mid_i
    bg: PairDensity
    fit: PeakFit


def _fit_pair(data: SpaceTimeData, a: int, b: int, i: np.ndarray, j: np.ndarray) -> _PairFit:
    ra, rb = data.camera_of == a, data.camera_of == b
    bg = pair_density(data.mid[ra], data.mid[rb])
    x = data.mid[j] - data.mid[i]
    return _PairFit(a, b, i, j, x, bg, fit_peaks(x, bg))


def _pair_routes(data: SpaceTimeData, zones: list[Zones], pf: _PairFit, offsets: np.ndarray,
                 between: np.ndarray) -> PairEvidence:
    """Routes between cameras a < b from their matches. On clocks corrected by ``offsets``: a peak
    whose pairs are mostly seen at once is a shared view; else a walk, a -> b when b's tracklet
    comes later. ``between``: (matches,) whether the person was seen by a third camera in between
    (a walk's share of those decides whether it is indirect, `between_cut`)."""
    a, b, i, j, x, fit = pf.a, pf.b, pf.i, pf.j, pf.x, pf.fit
    routes: list[Route] = []
    if not fit.peaks:
        return PairEvidence((a, b), len(x), fit.background, routes)
    g_all = fit.responsibilities(x, pf.bg)
    shift = offsets[data.camera_of]
    first, last = data.first - shift, data.last - shift
    at_once = (first[i] <= last[j]) & (first[j] <= last[i])
    later = (first[j] + last[j]) - (first[i] + last[i])  # > 0: b's tracklet after a's
    ra, rb = data.camera_of == a, data.camera_of == b
    for k, (peak, gain) in enumerate(zip(fit.peaks, fit.gain)):
        g = g_all[:, k + 1]
        if (g * at_once).sum() > 0.5 * g.sum():
            v = x
            lag, sd = weighted_median(v, g), max(weighted_spread(v, g), MIN_SD_S)
            routes.append(Route(a, b, "overlap", lag, sd, peak.weight, float(g.sum()), gain,
                                histogram=_histogram(v, g, pf.bg, fit.background, lag, sd)))
            continue
        forward = weighted_median(later, g) > 0
        src, tgt, si, sj = (a, b, i, j) if forward else (b, a, j, i)
        g = g * ((later > 0) == forward)  # pairs of the peak that walk the other way are not this route's
        v = data.first[sj] - data.last[si]
        bg = pair_density(data.last[ra if forward else rb], data.first[rb if forward else ra])
        lag, sd = weighted_median(v, g), max(weighted_spread(v, g), MIN_SD_S)
        zt = _zone_table(zones[src], zones[tgt], data.exit[si], data.entry[sj], g)
        routes.append(Route(src, tgt, "transit", lag, sd, peak.weight, float(g.sum()), gain, zt,
                            histogram=_histogram(v, g, bg, fit.background, lag, sd),
                            between=float((g * between).sum() / max(g.sum(), 1e-12))))
    return PairEvidence((a, b), len(x), fit.background, routes)


def _reentry_routes(data: SpaceTimeData, zones: list[Zones], c: int, i: np.ndarray, j: np.ndarray) -> PairEvidence:
    """Re-entries into camera c from matches of its own tracklets (i ends before j begins)."""
    rows = data.camera_of == c
    x = data.first[j] - data.last[i]
    bg = pair_density(data.last[rows], data.first[rows])
    fit = fit_peaks(x, bg, max_peaks=2)  # the tracker's breaks (a second or two) and people coming back
    routes = []
    g_all = fit.responsibilities(x, bg) if fit.peaks else np.zeros((len(x), 1))
    for k, (peak, gain) in enumerate(zip(fit.peaks, fit.gain)):
        g = g_all[:, k + 1]
        lag, sd = weighted_median(x, g), max(weighted_spread(x, g), MIN_SD_S)
        zt = _zone_table(zones[c], zones[c], data.exit[i], data.entry[j], g)
        routes.append(Route(c, c, "re-entry", lag, sd, peak.weight, float(g.sum()), gain, zt, transit=lag,
                            histogram=_histogram(x, g, bg, fit.background, lag, sd)))
    return PairEvidence((c, c), len(x), fit.background, routes)


def between_cut(walks: list[Route]) -> float:
    """Share of in-between sightings past which a walk is indirect: direct walks have few (wrong
    matches only), walks through a third camera have as many as that camera's matches find. The two
    groups are split where they are best separated (Otsu's criterion over the walks' shares,
    weighted by their matches); ``MAX_BETWEEN`` when there are too few walks to split."""
    if len(walks) < 4:
        return MAX_BETWEEN
    share = np.array([r.between for r in walks])
    w = np.array([r.matches for r in walks])
    order = np.argsort(share)
    share, w = share[order], w[order]
    best, cut = -1.0, MAX_BETWEEN
    for k in range(1, len(share)):
        w0, w1 = w[:k].sum(), w[k:].sum()
        m0, m1 = (w[:k] * share[:k]).sum() / w0, (w[k:] * share[k:]).sum() / w1
        between_var = w0 * w1 * (m0 - m1) ** 2
        if between_var > best and share[k] > share[k - 1]:
            best, cut = between_var, float((share[k - 1] + share[k]) / 2)
    return cut


def presence_route(data: SpaceTimeData, offsets: np.ndarray, cameras: tuple[int, int], i: np.ndarray,
                   j: np.ndarray) -> Route | None:
    """A shared view found by the seen-at-once rule (`presence`), for camera pairs whose matches are
    too few for a timing peak (a short clip): None unless the rule calls the pair overlapping. Its
    evidence is the binomial log-likelihood of the share seen at once against the random-pair rate."""
    a, b = cameras
    if a == b or len(i) < PRESENCE_MIN:
        return None
    shift = offsets[data.camera_of]
    first, last = data.first - shift, data.last - shift
    at_once = (first[i] <= last[j]) & (first[j] <= last[i])
    ra, rb = data.camera_of == a, data.camera_of == b
    rate = overlap_rate(first[ra], last[ra], first[rb], last[rb])
    n, k = len(i), int(at_once.sum())
    if not seen_at_once_overlapping(n, k, rate):
        return None
    share = min(k / n, 1 - 1e-9)
    gain = k * np.log(share / max(rate, 1e-9)) + (n - k) * np.log((1 - share) / max(1 - rate, 1e-9))
    x = (data.mid[j] - data.mid[i])[at_once]
    w = np.ones(len(x))
    lag, sd = weighted_median(x, w), max(weighted_spread(x, w), 1.0)
    return Route(a, b, "overlap", lag, sd, k / n, float(k), float(gain), found_by="presence")


def seen_between(data: SpaceTimeData, first: np.ndarray, last: np.ndarray, pair_i: np.ndarray,
                 pair_j: np.ndarray) -> np.ndarray:
    """For each match (i, j) of two cameras: whether i or j has a match in a third camera that
    lies between them in time (``first`` / ``last`` on one clock). A walk whose matches mostly
    have one is the sum of shorter walks."""
    n, C = len(data.camera_of), len(data.cameras)
    partner = np.full((n, C), -1, np.int64)  # each tracklet's match in each camera (mutual: at most one)
    partner[pair_i, data.camera_of[pair_j]] = pair_j
    partner[pair_j, data.camera_of[pair_i]] = pair_i
    early = first[pair_i] <= first[pair_j]
    u, v = np.where(early, pair_i, pair_j), np.where(early, pair_j, pair_i)  # u walks before v
    k = np.concatenate([partner[u], partner[v]], 1)  # (pairs, 2C)
    kk = k.clip(0)
    cams = data.camera_of[kk]
    other = (k >= 0) & (cams != data.camera_of[u][:, None]) & (cams != data.camera_of[v][:, None])
    inside = (first[kk] >= last[u][:, None] - TIME_SLACK_S) & (last[kk] <= first[v][:, None] + TIME_SLACK_S)
    return (other & inside).any(1)


def fit_topology(data: SpaceTimeData, pair_i: np.ndarray, pair_j: np.ndarray,  # noqa: C901 - the stages in order
                 own_i: np.ndarray | None = None, own_j: np.ndarray | None = None,
                 fixed: dict | None = None) -> Topology:
    """The network from confident matches across cameras (``pair_i``, ``pair_j``) and, for
    re-entries, within cameras (``own_i``, ``own_j``). ``fixed``: what a user's edited file says
    (``forbid``: camera-index pairs; ``offsets``: camera index -> seconds)."""
    C = len(data.cameras)
    fixed = fixed or {}
    zones = [find_zones(np.concatenate([data.entry[data.camera_of == c], data.exit[data.camera_of == c]]))
             for c in range(C)]
    pair_i, pair_j = np.asarray(pair_i, np.int64), np.asarray(pair_j, np.int64)
    ci, cj = data.camera_of[pair_i], data.camera_of[pair_j]
    swap = ci > cj
    i, j = np.where(swap, pair_j, pair_i), np.where(swap, pair_i, pair_j)
    lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
    forbid = {tuple(sorted(p)) for p in fixed.get("forbid", [])}
    fits, few = [], []
    for a, b in sorted(set(zip(lo.tolist(), hi.tolist()))):
        sel = (lo == a) & (hi == b)
        if sel.sum() < MIN_MATCHES or (a, b) in forbid:
            few.append(PairEvidence((a, b), int(sel.sum()), 1.0, []))
        else:
            fits.append(_fit_pair(data, a, b, i[sel], j[sel]))
    fixed_offsets = {int(k): float(v) for k, v in fixed.get("offsets", {}).items()}
    coarse = [pair_offset(pf, data.first, data.last) for pf in fits]
    offsets, _, _ = solve_offsets(C, coarse, fixed_offsets)
    first, last = data.first - offsets[data.camera_of], data.last - offsets[data.camera_of]
    between = seen_between(data, first, last, i, j)
    pos = {(int(a), int(b)): np.flatnonzero((lo == a) & (hi == b)) for a, b in ((pf.a, pf.b) for pf in fits)}
    pairs = [_pair_routes(data, zones, pf, offsets, between[pos[(pf.a, pf.b)]]) for pf in fits] + few
    for p in pairs:
        if not any(r.kind == "overlap" for r in p.routes):
            sel = (lo == p.cameras[0]) & (hi == p.cameras[1])
            route = presence_route(data, offsets, p.cameras, i[sel], j[sel])
            if route is not None:
                p.routes.append(route)
    cut = between_cut([r for p in pairs for r in p.routes if r.kind == "transit"])
    for r in (r for p in pairs for r in p.routes if r.kind == "transit" and r.between > cut):
        r.kind = "indirect"
    for p in pairs:  # one place has no walk to itself: other peaks of a shared view are people coming back
        if any(r.kind == "overlap" for r in p.routes):
            for r in p.routes:
                r.kind = "indirect" if r.kind == "transit" else r.kind
    if own_i is not None and own_j is not None and len(own_i):
        early = data.last[own_i] < data.first[own_j]
        oi, oj = np.where(early, own_i, own_j), np.where(early, own_j, own_i)
        apart = data.last[oi] < data.first[oj]  # pairs seen at once in one camera are two people
        oi, oj = oi[apart], oj[apart]
        for c in range(C):
            sel = data.camera_of[oi] == c
            if sel.sum() >= MIN_MATCHES:
                pairs.append(_reentry_routes(data, zones, c, oi[sel], oj[sel]))
    refined = refined_differences([r for p in pairs for r in p.routes], offsets)
    offsets, known, group = solve_offsets(C, refined + coarse, fixed_offsets)
    for r in (r for p in pairs for r in p.routes):
        if r.kind != "re-entry":
            r.transit = r.lag - (offsets[r.target] - offsets[r.source])
    pairs.sort(key=lambda p: p.cameras)
    return Topology(list(data.cameras), zones, pairs, offsets, known, group, dict(fixed))
