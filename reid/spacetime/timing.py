"""Time differences between two cameras' tracklets: how they fall for any two tracklets (the
random-pair density, what crowds and wrong matches look like) and how confident appearance
matches fall on top of it (peaks: people walking a link, or seen at once by two views).

The random-pair density of ``t_b[j] - t_a[i]`` over all pairs is the cross-correlation of the two
cameras' time histograms: one FFT convolution of binned counts (scipy.signal.fftconvolve), never
the pairs themselves (a million tracklets make 10^11 pairs). TFusion divides its matched-pair
histogram by such a random-pair histogram; here it is the background component of a mixture
fitted to the matched pairs, so that the peaks' weights say how many matches are explained by
time and the rest are counted as chance (wrong matches, crowds).

The mixture (background + up to ``MAX_PEAKS`` Gaussians, EM in one dimension) is written by hand:
the background's shape is fixed and data-dependent, which no library mixture offers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import fftconvolve

MAX_PEAKS = 3
MIN_SD_S = 0.5  # no peak narrower than this: frame grids and tracker jitter
PEAK_PENALTY = 6.0  # log-likelihood a peak must add beyond BIC's 1.5 log n (3 parameters)
MIN_PEAK_PAIRS = 3.0  # a peak explains at least this many matches
START_SAMPLE = 4000  # matches a new peak's start is searched on
SMOOTH_S = 2.0  # the random-pair density is smoothed by this much (and by a few of its bins)


@dataclass
class PairDensity:
    """Density (per second) of ``t_b[j] - t_a[i]`` over every pair (i, j), on a grid."""

    start: float  # x of bin 0's centre
    width: float
    density: np.ndarray  # (bins,), integrates to 1

    def __call__(self, x: np.ndarray) -> np.ndarray:
        i = np.round((np.asarray(x, np.float64) - self.start) / self.width).astype(np.int64)
        inside = (i >= 0) & (i < len(self.density))
        out = np.full(i.shape, self.floor)
        out[inside] = np.maximum(self.density[i[inside]], self.floor)
        return out

    def at(self, x: float) -> float:
        """The density at one point (as ``__call__``, without numpy's per-call cost)."""
        i = int(round((x - self.start) / self.width))
        floor = self.floor
        return max(float(self.density[i]), floor) if 0 <= i < len(self.density) else floor

    @property
    def floor(self) -> float:
        # never zero: a matched pair where no random pair falls is rare, not impossible
        return 1e-3 / (self.width * len(self.density))

    @property
    def span(self) -> float:
        return self.width * len(self.density)


def pair_density(t_a: np.ndarray, t_b: np.ndarray, width: float | None = None) -> PairDensity:
    """The random-pair density of ``t_b - t_a`` (cross-correlation of the binned times)."""
    t_a, t_b = np.asarray(t_a, np.float64), np.asarray(t_b, np.float64)
    lo, hi = min(t_a.min(), t_b.min()), max(t_a.max(), t_b.max())
    if width is None:  # ~1 s bins, coarser past half a million bins per camera (days of video)
        width = max(1.0, (hi - lo) / 500_000)
    nbins = int((hi - lo) / width) + 1
    ha = np.bincount(((t_a - lo) / width).astype(np.int64), minlength=nbins).astype(np.float64)
    hb = np.bincount(((t_b - lo) / width).astype(np.int64), minlength=nbins).astype(np.float64)
    corr = np.clip(fftconvolve(hb, ha[::-1]), 0, None)  # lag (b bin - a bin) + nbins - 1
    corr = gaussian_filter1d(corr, max(SMOOTH_S / width, 2.0))
    corr /= corr.sum() * width
    return PairDensity(-(nbins - 1) * width, width, corr)


@dataclass
class Peak:
    weight: float  # share of the matched pairs
    mean: float
    sd: float


@dataclass
class PeakFit:
    peaks: list[Peak]
    background: float  # share of the matched pairs explained as chance
    gain: list[float]  # log-likelihood each peak added when it was accepted
    n: int

    def responsibilities(self, x: np.ndarray, bg: PairDensity) -> np.ndarray:
        """(n, 1 + peaks): posterior of background and each peak for every pair."""
        return _resp(np.asarray(x, np.float64), bg(x), self.background, self.peaks)[0]


def normal(x: np.ndarray, m: float, s: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))


def _resp(x: np.ndarray, r: np.ndarray, w0: float, peaks: list[Peak]) -> tuple[np.ndarray, float]:
    like = np.column_stack([w0 * r] + [p.weight * normal(x, p.mean, p.sd) for p in peaks])
    total = np.maximum(like.sum(1, keepdims=True), 1e-300)
    return like / total, float(np.log(total).sum())


def _em(x: np.ndarray, r: np.ndarray, w0: float, peaks: list[Peak], max_sd: float,
        iterations: int = 100) -> tuple[float, list[Peak], float]:
    ll_old = -np.inf
    ll = ll_old
    for _ in range(iterations):
        g, ll = _resp(x, r, w0, peaks)
        n = g.sum(0) + 1e-12
        w0 = n[0] / len(x)
        new = []
        for k, p in enumerate(peaks):
            gk = g[:, k + 1]
            m = float((gk * x).sum() / n[k + 1])
            s = float(np.sqrt((gk * (x - m) ** 2).sum() / n[k + 1]))
            new.append(Peak(n[k + 1] / len(x), m, float(np.clip(s, MIN_SD_S, max_sd))))
        peaks = new
        if ll - ll_old < 1e-6 * abs(ll):
            break
        ll_old = ll
    return w0, peaks, ll


def fit_peaks(x: np.ndarray, bg: PairDensity, max_peaks: int = MAX_PEAKS) -> PeakFit:
    """Background (``bg``'s shape) plus Gaussians, added one at a time while each pays for itself:
    its log-likelihood gain beats BIC's penalty plus ``PEAK_PENALTY`` and it explains at least
    ``MIN_PEAK_PAIRS`` matches. A new peak starts where a narrow Gaussian gains most."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    r = bg(x)
    n = len(x)
    fit = PeakFit([], 1.0, [], n)
    if n < MIN_PEAK_PAIRS:
        return fit
    max_sd = max(bg.span / 40, 10 * MIN_SD_S)
    penalty = 1.5 * np.log(n) + PEAK_PENALTY
    candidates = np.unique(x if n <= 400 else np.quantile(x, np.linspace(0, 1, 400)))
    # where a new peak starts is judged on a sample (the EM that follows uses every pair)
    sample = np.sort(x if n <= START_SAMPLE else np.random.default_rng(0).choice(x, START_SAMPLE, replace=False))
    r_sample = bg(sample)
    for _ in range(max_peaks):
        current = np.maximum(fit.background * r + sum(p.weight * normal(x, p.mean, p.sd) for p in fit.peaks),
                             1e-300)  # each pair's likelihood under the current fit
        base = float(np.log(current).sum())
        w = 0.2 * fit.background
        start = _best_start(sample, r_sample, fit, w, candidates)
        peaks = [Peak(p.weight * (1 - w), p.mean, p.sd) for p in fit.peaks] + [Peak(w, start, 2.0)]
        w0, peaks, new_ll = _em(x, r, fit.background * (1 - w), peaks, max_sd)
        if new_ll - base < penalty or min(p.weight for p in peaks) * n < MIN_PEAK_PAIRS:
            break
        fit = PeakFit(peaks, w0, fit.gain + [float(new_ll - base)], n)
    return fit


def _best_start(sample: np.ndarray, r: np.ndarray, fit: PeakFit, w: float, candidates: np.ndarray) -> float:
    """The candidate mean where a 2 s Gaussian taking share ``w`` gains most log-likelihood over
    ``fit`` on the (sorted) sample; only pairs within 10 s of a candidate can gain."""
    cur = np.maximum(fit.background * r + sum(p.weight * normal(sample, p.mean, p.sd) for p in fit.peaks), 1e-300)
    lo = np.searchsorted(sample, candidates - 10.0)
    hi = np.searchsorted(sample, candidates + 10.0)
    gains = [np.log1p(w * normal(sample[a:b], c, 2.0) / ((1 - w) * cur[a:b])).sum()
             for c, a, b in zip(candidates, lo, hi)]
    return float(candidates[int(np.argmax(gains))])


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    c = np.cumsum(w[order])
    return float(x[order][min(int(np.searchsorted(c, c[-1] / 2)), len(x) - 1)])


def weighted_spread(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted median absolute deviation, scaled to a Gaussian's sd."""
    return 1.4826 * weighted_median(np.abs(x - weighted_median(x, w)), w)
