"""Detection scores read on the video's own terms, so that a tracker's thresholds (ByteTrack's 0.5 /
0.1, BoT-SORT's 0.6 / 0.7, OC-SORT's 0.6) mean the same whatever scale the detector writes: 0-1,
0-100, cubed, squeezed into [0.15, 0.3].

The rule, and why. A score's only meaning that survives every monotone rescaling is its rank among
the video's scores; any rule that reads the numbers themselves (a fixed threshold, a mixture fitted
to the histogram's shape) changes with the scale. Ranks alone say nothing about how many boxes are
people, though, so the calibrated score is the *precision at that rank*, estimated from evidence the
scores do not carry: a person is still there a moment later, clutter flickers. Per equal-count bin
of rank we count the boxes that continue a box of the previous frame (similar height, centre within
what a walker covers in the frame interval), pool the bins toward the overall rate, make the rate
non-decreasing in rank (isotonic regression, scipy) and divide by the top bin's rate:

    calibrated(score) = P(continues | rank bin) / P(continues | top bin)  ~  precision at that rank

A box at a rank where boxes persist as often as the most confident ones scores ~1; a rank that
holds mostly flickering clutter scores low. Only ranks and boxes enter, so any strictly increasing
rescaling of the input scores gives the same calibrated scores, exactly.

Online (extract, watch): the estimate starts flat (every box 1.0, as if all were people) and is
refitted as boxes arrive, more often early on (each time the boxes seen grow by a quarter), from a
uniform reservoir of the boxes seen so far. Offline over a detection file (`pipeline track`) the
whole video is read first (`prime`), so the first frames are scored like the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import isotonic_regression

from tracking.tracker_api import FrameResult, Tracker, frame_input


@dataclass(frozen=True)
class ScoreCalibrationParams:
    bins: int = 10  # equal-count bins of rank
    capacity: int = 20_000  # boxes remembered (uniform reservoir): the estimate's memory
    first_fit: int = 100  # boxes before the first fit (before it every box scores 1.0)
    prior_boxes: float = 5.0  # pseudo-boxes per bin at the overall rate: a sparse bin reads like the rest
    # a box continues one of the previous frame when their heights differ by at most this ratio ...
    height_ratio: float = 1.5
    # ... and their centres by at most (near + walk x seconds between the frames) of its height: a
    # walker covers about 0.8 of their height a second (1.4 m/s, 1.7 m), 1.0 leaves room for jitter
    near: float = 0.25
    walk: float = 1.0


class ScoreCalibrator:
    """Raw scores of one camera -> calibrated scores in [0, 1] (see the module's rule)."""

    def __init__(self, fps: float | None = None, params: ScoreCalibrationParams = ScoreCalibrationParams(),
                 seed: int = 0):
        self.p = params
        dt = 1.0 / fps if fps and fps > 0 else 1.0 / 30.0
        self._reach = params.near + params.walk * dt
        self._rng = np.random.default_rng(seed)  # reservoir slots: independent of the scores
        self._scores = np.zeros(params.capacity)
        self._continues = np.zeros(params.capacity, bool)
        self._kept = 0  # filled reservoir slots
        self._seen = 0  # boxes observed
        self._next_fit = params.first_fit
        self._sorted = np.zeros(0)  # the reservoir's scores at the last fit, sorted
        self._curve = np.ones(params.bins)  # calibrated value per bin at the last fit
        self._prev = np.zeros((0, 4))
        self.frozen = False

    # ----------------------------------------------------------------------------- per frame
    def __call__(self, boxes: np.ndarray, scores: np.ndarray | None) -> np.ndarray | None:
        """This frame's calibrated scores (unusable boxes and NaN scores: -inf); then the frame is
        remembered (unless `prime` froze the estimate)."""
        if scores is None:
            return None
        boxes, raw, ok = _usable(boxes, scores)
        out = np.full(len(raw), -np.inf)
        out[ok] = self._read(raw[ok])
        if not self.frozen:
            self._observe(boxes[ok], raw[ok])
        return out

    def skip(self, frames: int) -> None:
        """``frames`` frames without detections: nothing continues across them."""
        if frames > 0:
            self._prev = np.zeros((0, 4))

    def prime(self, frames: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Fit on a whole video's (boxes, scores) per frame (an empty frame: empty arrays), then
        freeze: every frame of it is then read with the same estimate."""
        for frame in frames:
            boxes, raw, ok = _usable(*frame)
            self._observe(boxes[ok], raw[ok], fit=False)
        if self._kept:
            self._fit()
        self._prev = np.zeros((0, 4))
        self.frozen = True

    # ------------------------------------------------------------------------------- pieces
    def _read(self, raw: np.ndarray) -> np.ndarray:
        n = len(self._sorted)
        if n == 0 or len(raw) == 0:
            return np.ones(len(raw))
        q = _mid_rank(self._sorted, raw) / n
        centres = (np.arange(self.p.bins) + 0.5) / self.p.bins
        return np.interp(q, centres, self._curve)

    def _observe(self, boxes: np.ndarray, raw: np.ndarray, fit: bool = True) -> None:
        cont = self._continues_previous(boxes, raw)
        self._prev = boxes
        n, cap = len(raw), self.p.capacity
        room = min(n, cap - self._kept)
        if room:
            self._scores[self._kept:self._kept + room] = raw[:room]
            self._continues[self._kept:self._kept + room] = cont[:room]
            self._kept += room
        if n > room:  # reservoir sampling (Vitter's R): box number i replaces a slot with chance cap / i
            i = self._seen + np.arange(room, n) + 1
            slot = (self._rng.random(n - room) * i).astype(np.int64)
            take = slot < cap
            self._scores[slot[take]] = raw[room:][take]
            self._continues[slot[take]] = cont[room:][take]
        self._seen += n
        if fit and self._seen >= self._next_fit:
            self._fit()
            self._next_fit = self._seen + int(np.clip(self._seen // 4, 1, 2000))

    def _continues_previous(self, boxes: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Whether each box continues its own box of the previous frame: boxes claim the nearest
        unclaimed previous box in the gate, the highest scores first (an order, so rank-only), so a
        duplicate or partial box beside a person does not count as the person's continuation."""
        if len(boxes) == 0 or len(self._prev) == 0:
            return np.zeros(len(boxes), bool)
        h, ph = boxes[:, 3] - boxes[:, 1], self._prev[:, 3] - self._prev[:, 1]
        c = (boxes[:, :2] + boxes[:, 2:]) / 2
        pc = (self._prev[:, :2] + self._prev[:, 2:]) / 2
        dist = np.hypot(c[:, None, 0] - pc[None, :, 0], c[:, None, 1] - pc[None, :, 1]) / (self._reach * h[:, None])
        ratio = h[:, None] / ph[None, :]
        dist[(ratio > self.p.height_ratio) | (ratio < 1.0 / self.p.height_ratio) | (dist > 1.0)] = np.inf
        best = dist.argmin(axis=1)
        ok = np.isfinite(dist[np.arange(len(boxes)), best])
        if len(np.unique(best[ok])) == ok.sum():  # no two boxes want one previous box: no order needed
            return ok
        out = np.zeros(len(boxes), bool)
        for i in np.argsort(-raw, kind="stable"):
            j = int(dist[i].argmin())
            if np.isfinite(dist[i, j]):
                out[i] = True
                dist[:, j] = np.inf
        return out

    def _fit(self) -> None:
        scores, cont = self._scores[:self._kept], self._continues[:self._kept]
        self._sorted = np.sort(scores)
        B = self.p.bins
        b = np.minimum((_mid_rank(self._sorted, scores) / len(scores) * B).astype(np.int64), B - 1)
        n = np.bincount(b, minlength=B).astype(np.float64)
        k = np.bincount(b, weights=cont.astype(np.float64), minlength=B)
        a = self.p.prior_boxes
        rate = (k + a * cont.mean()) / (n + a)
        rate = isotonic_regression(rate, weights=n + a, increasing=True).x
        self._curve = np.clip(rate / rate[-1], 0.0, 1.0) if rate[-1] > 0 else np.ones(B)

    @property
    def curve(self) -> np.ndarray:
        """The calibrated value per rank bin (lowest ranks first), as last fitted."""
        return self._curve.copy()


class CalibratedTracker:
    """A tracker that reads calibrated scores: each frame's raw scores go through the camera's
    `ScoreCalibrator` before the tracker sees them."""

    def __init__(self, inner: Tracker, calibrator: ScoreCalibrator):
        self.inner, self.calibrator = inner, calibrator

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               embeddings: np.ndarray | None = None) -> FrameResult:
        return self.inner.update(boxes, self.calibrator(boxes, scores), embeddings)

    @property
    def live(self) -> int:
        return self.inner.live

    def idle(self, frames: int) -> None:
        self.calibrator.skip(frames)
        self.inner.idle(frames)

    def finish(self) -> FrameResult:
        return self.inner.finish()


def _usable(boxes: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes, scores, usable): the trackers' own reading of a frame (`frame_input`: a NaN or empty
    box scores -inf), and which rows take part (a finite box and score)."""
    boxes, raw = frame_input(boxes, scores)
    return boxes, raw, np.isfinite(raw)


def _mid_rank(sorted_scores: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rank of each ``x`` among ``sorted_scores``, ties counted half: equal scores share a rank."""
    return (np.searchsorted(sorted_scores, x, "left") + np.searchsorted(sorted_scores, x, "right")) / 2.0
