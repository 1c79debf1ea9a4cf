"""Camera clock offsets from the timing of confident matches.

People walk a link both ways and take about as long each way, so between two cameras the matched
pairs' mid-time differences (b's tracklet minus a's) fall symmetrically about the difference of
the two clocks: walks a -> b on one side, walks b -> a on the other, shared views on the centre.
The centre of symmetry is the peak of the matched histogram's autocorrelation with its mirror image
(the self-convolution, one FFT), after the chance level (the random-pair density) is taken off.
Every camera pair with time structure gives one difference; least squares over the camera graph
(robust: Huber weights, then differences far off the solution left out) gives one offset per
camera, the first camera of each connected group at 0 unless a user fixed an offset. Written by
hand: a robustly weighted solve of a graph's difference equations is a few lines of numpy;
scipy.optimize.least_squares would do it more slowly and no faster to read.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import fftconvolve
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

BIN_S = 1.0
HUBER_S = 5.0  # residuals past this many seconds count linearly, not squared
ROUNDS = 10
DROP_S = 20.0  # after the first rounds, a difference this far from the solution is left out


@dataclass
class ClockDifference:
    a: int
    b: int
    difference: float  # o_b - o_a, seconds
    weight: float  # inverse variance of ``difference`` (s^-2)


def symmetry_centre(x: np.ndarray, chance: np.ndarray) -> float:
    """Where the histogram of ``x`` less ``chance`` (expected counts per ``BIN_S`` bin from the
    first bin at ``x.min()``) is most symmetric about."""
    lo = float(np.floor(x.min()))
    n = int((x.max() - lo) / BIN_S) + 1
    h = np.bincount(((x - lo) / BIN_S).astype(np.int64), minlength=n).astype(np.float64)
    h = gaussian_filter1d(np.clip(h - chance[:n], 0, None), 2.0 / BIN_S)
    m = int(np.argmax(fftconvolve(h, h)))
    return lo + (m + 1) * BIN_S / 2


def pair_offset(pf, first: np.ndarray, last: np.ndarray) -> ClockDifference | None:
    """The clock difference of one camera pair's fit (`topology._PairFit`), None without time
    structure (no peak above chance), or when its one peak is a walk one way only: a lone peak is
    a shared view (the clocks' difference) only if the two tracklets' starts and ends line up more
    tightly than one's exit with the other's entry; else it is people walking one way, which says
    nothing about the clocks (``first`` / ``last``: every tracklet's times)."""
    if not pf.fit.peaks:
        return None
    if len(pf.fit.peaks) == 1 and not _lines_up_as_shared_view(pf, first, last):
        return None
    x = pf.x[np.isfinite(pf.x)]
    lo = float(np.floor(x.min()))
    centres = lo + (np.arange(int((x.max() - lo) / BIN_S) + 1) + 0.5) * BIN_S
    chance = pf.fit.background * len(x) * pf.bg(centres) * BIN_S
    explained = (1 - pf.fit.background) * len(x)
    # a centre is as good as the matches behind it; a narrow peak is no sign of a good centre (a one-way
    # crowd makes one off-centre), so every centre is given the same spread per match
    return ClockDifference(pf.a, pf.b, symmetry_centre(x, chance), explained / COARSE_VARIANCE_S2)


MEDIAN_VARIANCE = np.pi / 2  # a median's variance is this times the mean's, for Gaussian data
COARSE_VARIANCE_S2 = 3600.0  # a symmetry centre from one match is taken to be good to a minute
REFINE_GATE_S = 15.0  # a refined difference this far from the centres' solution is a mistaken pairing: dropped


def refined_differences(routes, first_pass: np.ndarray) -> list[ClockDifference | None]:
    """Clock differences from the routes once their kinds are known: a shared view's lag is the
    difference itself; a direct link walked both ways gives half the difference of its lags. One
    that disagrees with the symmetry centres' solution ``first_pass`` by more than
    ``REFINE_GATE_S`` paired the wrong peaks and is dropped."""
    out: list[ClockDifference | None] = []
    walks: dict = {}
    for r in routes:  # each direction's main walk (the most matches)
        if r.kind == "transit" and r.matches > getattr(walks.get((r.source, r.target)), "matches", -1):
            walks[(r.source, r.target)] = r
    for r in routes:
        if r.kind == "overlap" and r.found_by == "timing":  # the seen-at-once rule's lag is too loose
            out.append(ClockDifference(r.source, r.target, r.lag, r.matches / (MEDIAN_VARIANCE * r.sd ** 2)))
    for (s, t), r in walks.items():
        back = walks.get((t, s))
        if back is not None and s < t:
            var = MEDIAN_VARIANCE * (r.sd ** 2 / max(r.matches, 1e-6) + back.sd ** 2 / max(back.matches, 1e-6)) / 4
            out.append(ClockDifference(s, t, (r.lag - back.lag) / 2, 1.0 / var))
    return [d for d in out
            if d is not None and abs(d.difference - (first_pass[d.b] - first_pass[d.a])) <= REFINE_GATE_S]


def _lines_up_as_shared_view(pf, first: np.ndarray, last: np.ndarray) -> bool:
    from reid.spacetime.timing import weighted_spread

    g = pf.fit.responsibilities(pf.x, pf.bg)[:, 1]
    i, j = pf.i, pf.j
    shared = max(weighted_spread(first[j] - first[i], g), weighted_spread(last[j] - last[i], g))
    walk = min(weighted_spread(first[j] - last[i], g), weighted_spread(first[i] - last[j], g))
    return shared < walk


def solve_offsets(C: int, diffs: list[ClockDifference | None], fixed: dict[int, float] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, known, group): each camera's clock less its group's anchor's (the first camera of
    the group, or a user's fixed offset), whether any evidence reached it, and its group. Each
    difference weighs by its inverse variance: a short link or a shared view pins a difference to
    a fraction of a second, a three-minute walk to seconds."""
    rows = [d for d in diffs if d is not None]
    fixed = fixed or {}
    offsets = np.zeros(C)
    known = np.zeros(C, bool)
    for c, o in fixed.items():
        offsets[c], known[c] = o, True
    if not rows:
        return offsets, known, np.arange(C)
    a = np.array([d.a for d in rows])
    b = np.array([d.b for d in rows])
    y = np.array([d.difference for d in rows])
    w0 = np.sqrt(np.array([max(d.weight, 1e-6) for d in rows]))
    _, group = connected_components(coo_matrix((np.ones(len(rows)), (a, b)), shape=(C, C)), directed=False)
    for g in np.unique(group):
        cams = np.flatnonzero(group == g)
        sel = np.flatnonzero(group[a] == g)
        if len(sel) == 0:
            continue
        pos = np.full(C, -1)
        pos[cams] = np.arange(len(cams))
        anchors = [int(c) for c in cams if c in fixed] or [int(cams[0])]
        A = np.zeros((len(sel) + len(anchors), len(cams)))
        A[np.arange(len(sel)), pos[a[sel]]] = -1.0
        A[np.arange(len(sel)), pos[b[sel]]] = 1.0
        target = np.concatenate([y[sel], [fixed.get(c, 0.0) for c in anchors]])
        for k, c in enumerate(anchors):
            A[len(sel) + k, pos[c]] = 1.0
        robust = np.ones(len(sel))
        for k in range(ROUNDS):
            w = np.concatenate([w0[sel] * robust, np.full(len(anchors), 1e3 * w0[sel].max())])
            sol = np.linalg.lstsq(A * w[:, None], target * w, rcond=None)[0]
            resid = np.abs(A[:len(sel)] @ sol - y[sel])
            # Huber first (every difference keeps a say while the solution settles), then differences
            # far off the settled solution drop out (a mistaken pairing must not pull by its size)
            robust = np.sqrt(np.where(resid <= HUBER_S, 1.0, HUBER_S / np.maximum(resid, 1e-9)))
            if k >= ROUNDS // 2:
                robust = np.where(resid > DROP_S, 0.0, robust)
        offsets[cams], known[cams] = sol, True
    return offsets, known, group
