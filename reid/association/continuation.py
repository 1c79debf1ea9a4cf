"""Which tracklet continues which within one camera: merge's default link rule.

A tracker leaves one person in fragments when it loses them (occlusion, missed boxes) for longer
than it waits. For two tracklets of one camera, the later one starting after the earlier ends,
merge weighs "the later continues the earlier" by a likelihood ratio whose four densities are all
read from the camera's own tracklets, never from identities:

- appearance, two people: tracklets seen at once in one camera are two people (the time veto's own
  premise), so their feature distances are what two people's distances look like here;
- appearance, one person: the distance between the first and the last third of one tracklet;
- place, one person: walked on unseen (a spread around the exit growing with the gap at the
  camera's walking speed, from its tracklets' own speeds) or left and came back as anyone would;
- place, two people: where tracklets enter the picture (doors and edges read high).

The prior odds of a candidate are the smaller of the share EM fits to the candidates and 1 / n (a
tracklet's continuation, if any, is one of its n candidates). A link is made where it is the best
candidate on both sides and its posterior is above one half, strongest first, each tracklet
continuing at most one and continued by at most one: a trajectory is a chain in time, so no two of
its tracklets overlap.

Why not UTAL's affinity graph (Table 6; still `--link affinity`): Eq. 4's affinity is relative to a
tracklet's own neighbours, so every tracklet has a "near" neighbour however far it is, and connected
components chain those. On the demo world the tracker leaves almost no fragments (two of four
cameras hold no two separate tracklets of one person), yet the graph joined 5-6 pairs per camera,
all wrong: IDF1 0.770 -> 0.713 (docs/association.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter, gaussian_filter1d
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import expit, logit

# candidates per tracklet: its nearest in appearance and the next to start after it ends
APPEARANCE_CANDIDATES = 8
TIME_CANDIDATES = 8
# samples drawn for the "two people" densities (enough for a smooth density; bounded at scale)
NULL_PAIRS = 20_000
# fewer samples than this in a camera: its densities are the network's, pooled over cameras
MIN_SAMPLES = 30
# grids of the densities: cosine distance 0..2 and the picture (frame sizes)
DIST_BINS, ENTRY_BINS = 400, 50
# a foot's jitter and the smoothing of where tracklets enter, in frame sizes
PLACE_SMOOTH = 0.03
# a person seen again in one camera walked on unseen (rather than left and came back where anyone
# enters) with this probability; not fitted: 0.2 and 0.05 were measured on the demo, network and
# PETS worlds (docs/association.md), neither lowered a camera's IDF1, 0.2 was kept
WALKED = 0.2


@dataclass(frozen=True)
class GridDensity:
    """A 1-D density of samples on a regular grid: a histogram smoothed with Scott's bandwidth,
    with one more sample spread uniformly, so a tail where no sample fell reads as rare, not
    impossible (a likelihood ratio never comes from an empty bin)."""

    values: np.ndarray  # density per unit at the bin centres
    lo: float
    hi: float

    @classmethod
    def of(cls, samples: np.ndarray, lo: float, hi: float, bins: int) -> "GridDensity":
        x = np.clip(samples[np.isfinite(samples)], lo, hi)
        width = (hi - lo) / bins
        counts = np.histogram(x, bins=bins, range=(lo, hi))[0].astype(np.float64)
        if len(x) > 1:
            h = 1.06 * max(float(np.std(x)), width) * len(x) ** -0.2
            counts = gaussian_filter1d(counts, h / width, mode="nearest")
        values = (counts + 1.0 / bins) / ((len(x) + 1.0) * width)
        return cls(values, lo, hi)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        width = (self.hi - self.lo) / len(self.values)
        centres = self.lo + width * (np.arange(len(self.values)) + 0.5)
        return np.interp(x, centres, self.values)


@dataclass(frozen=True)
class Walk:
    """Where one person is a gap g after a tracklet's exit, had they walked on unseen: an
    isotropic Gaussian around the exit whose spread grows with the gap at the camera's walking
    speed (root mean square of its tracklets' own start-to-end speed), on top of PLACE_SMOOTH of
    foot jitter. Direction is not used: a person may turn while hidden."""

    speed: float  # frame sizes per unit of the spans (seconds, or frames without a clock)

    @classmethod
    def of(cls, duration: np.ndarray, moved: np.ndarray) -> "Walk":
        ok = np.isfinite(moved) & (duration > 0)
        v = moved[ok] / duration[ok]
        return cls(float(np.sqrt(np.mean(v ** 2))) if len(v) else 0.0)

    def __call__(self, gap: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Density per unit area (frame sizes squared) at distance ``r`` from the exit."""
        var = PLACE_SMOOTH ** 2 + (self.speed * gap) ** 2 / 2  # per axis
        return np.exp(-r ** 2 / (2 * var)) / (2 * np.pi * var)


@dataclass(frozen=True)
class EntryDensity:
    """Where tracklets start in the picture, per unit area (frame sizes): a 2-D histogram smoothed
    by PLACE_SMOOTH, one more sample spread uniformly. Doors and frame edges, where people come
    and go, read high, so a re-entry there is weak evidence of the same person."""

    values: np.ndarray  # (ENTRY_BINS, ENTRY_BINS), x then y

    @classmethod
    def of(cls, entry: np.ndarray) -> "EntryDensity":
        e = np.clip(entry[np.isfinite(entry).all(1)], 0, 1)
        counts = np.histogram2d(e[:, 0], e[:, 1], bins=ENTRY_BINS, range=((0, 1), (0, 1)))[0]
        counts = gaussian_filter(counts, PLACE_SMOOTH * ENTRY_BINS, mode="nearest")
        return cls((counts + 1.0 / ENTRY_BINS ** 2) / (len(e) + 1.0) * ENTRY_BINS ** 2)

    def __call__(self, at: np.ndarray) -> np.ndarray:
        i = np.clip((at * ENTRY_BINS).astype(np.int64), 0, ENTRY_BINS - 1)
        return self.values[i[:, 0], i[:, 1]]


@dataclass(frozen=True)
class CameraTracklets:
    """One camera's tracklets as continuation reads them: unit features, their first and last
    thirds, spans (seconds where the store has clocks, so that cameras at other frame rates pool in
    one unit; else frames), and entry / exit feet in frame sizes (NaN where unknown)."""

    features: np.ndarray  # (M, D) unit length
    thirds: np.ndarray  # (M, 2, D) unit length, NaN for a tracklet of one frame
    first: np.ndarray
    last: np.ndarray
    entry: np.ndarray  # (M, 2)
    exit: np.ndarray

    def __len__(self) -> int:
        return len(self.first)


@dataclass(frozen=True)
class ContinuationModel:
    """The four densities of one camera (or of the network, pooled): see the module's text."""

    two_people: GridDensity
    one_person: GridDensity
    entries: EntryDensity | None  # None: the camera's places are unknown
    walk: Walk | None

    def log_ratio(self, dist: np.ndarray, gap: np.ndarray, exit_: np.ndarray, entry: np.ndarray) -> np.ndarray:
        """log p(evidence | one person) / p(evidence | two people) per candidate (the earlier's exit
        foot, the later's entry foot); a candidate with no place reads appearance alone."""
        out = np.log(self.one_person(dist)) - np.log(self.two_people(dist))
        if self.entries is not None and self.walk is not None:
            known = np.isfinite(exit_).all(1) & np.isfinite(entry).all(1)
            moved = np.linalg.norm(entry[known] - exit_[known], axis=1)
            # two people: the later enters where tracklets enter. One person either walked on
            # unseen (Walk, with probability WALKED) or left and came back where anyone enters, so
            # a long absence, or a re-entry at a door, reads little evidence either way
            anyone = self.entries(entry[known])
            walked = self.walk(gap[known], moved)
            out[known] += np.log(WALKED * walked + (1 - WALKED) * anyone) - np.log(anyone)
        return out


@dataclass(frozen=True)
class Samples:
    """What the densities are read from (kept apart so that a small camera can borrow the network's)."""

    two_people: np.ndarray
    one_person: np.ndarray
    entry: np.ndarray
    duration: np.ndarray
    moved: np.ndarray

    @classmethod
    def of(cls, cam: CameraTracklets, rng: np.random.Generator) -> "Samples":
        a, b = _seen_at_once(cam.first, cam.last, rng)
        two = 1.0 - np.einsum("nd,nd->n", cam.features[a], cam.features[b])
        one = 1.0 - np.einsum("nd,nd->n", cam.thirds[:, 0], cam.thirds[:, 1])
        moved = np.linalg.norm(cam.exit - cam.entry, axis=1)
        return cls(two, one[np.isfinite(one)], cam.entry, (cam.last - cam.first).astype(np.float64), moved)

    def enough(self) -> bool:
        return min(len(self.two_people), len(self.one_person)) >= MIN_SAMPLES

    def model(self) -> ContinuationModel:
        places = np.isfinite(self.moved).sum() >= MIN_SAMPLES
        return ContinuationModel(GridDensity.of(self.two_people, 0, 2, DIST_BINS),
                                 GridDensity.of(self.one_person, 0, 2, DIST_BINS),
                                 EntryDensity.of(self.entry) if places else None,
                                 Walk.of(self.duration, self.moved) if places else None)

    @staticmethod
    def pooled(parts: list["Samples"]) -> "Samples":
        return Samples(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                         ("two_people", "one_person", "entry", "duration", "moved")))


@dataclass
class Links:
    """One camera's continuation links: trajectory labels and what decided them."""

    labels: np.ndarray  # (M,) 0..T-1
    candidates: int
    links: int
    share: float  # EM's share of candidates that continue (the prior is at most this)
    model: str  # "camera" or "network" (pooled: the camera had too few samples)


def _seen_at_once(first: np.ndarray, last: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Up to NULL_PAIRS random pairs of tracklets whose spans overlap: sorted by start, the ones
    starting after i and no later than i's end overlap i; a few random draws from each such run."""
    order = np.argsort(first, kind="stable")
    f, lst = first[order], last[order]
    run_end = np.searchsorted(f, lst, side="right")  # exclusive end of the run overlapping each
    start = np.arange(len(f)) + 1
    n = np.maximum(run_end - start, 0)
    has = np.flatnonzero(n > 0)
    if len(has) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    draws = max(1, min(20, NULL_PAIRS // len(has)))
    i = np.repeat(has, draws)
    j = start[i] + (rng.random(len(i)) * n[i]).astype(np.int64)
    keep = np.unique(i * len(f) + j)
    if len(keep) > NULL_PAIRS:
        keep = rng.choice(keep, NULL_PAIRS, replace=False)
    return order[keep // len(f)], order[keep % len(f)]


def candidate_pairs(cam: CameraTracklets, neighbours: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(earlier, later) pairs that could continue each other: each tracklet's nearest in
    appearance (``neighbours``: (M, k) camera-local indices, -1 for none) and the next
    TIME_CANDIDATES to start after it ends; only pairs where the later starts after the earlier ends."""
    M = len(cam)
    order = np.argsort(cam.first, kind="stable")
    after = np.searchsorted(cam.first[order], cam.last, side="right")
    steps = np.arange(TIME_CANDIDATES)
    pos = after[:, None] + steps[None, :]
    ok = pos < M
    a = [np.repeat(np.arange(M), ok.sum(1))]
    b = [order[pos[ok]]]
    if neighbours is not None and neighbours.size:
        rows = np.repeat(np.arange(M), neighbours.shape[1])
        cols = neighbours.ravel()
        a.append(rows[cols >= 0])
        b.append(cols[cols >= 0])
    i, j = np.concatenate(a), np.concatenate(b)
    early = np.where(cam.last[i] < cam.first[j], i, j)
    late = np.where(cam.last[i] < cam.first[j], j, i)
    ok = cam.last[early] < cam.first[late]
    key = np.unique(early[ok] * M + late[ok])
    return key // M, key % M


def link_posterior(a: np.ndarray, b: np.ndarray, log_ratio: np.ndarray, M: int,
                   iters: int = 200) -> tuple[np.ndarray, float]:
    """P(one person | evidence) per candidate, and 0 for one that is not the best of its earlier
    tracklet's successors and of its later tracklet's predecessors (a mutual best: an ambiguous
    link stays out). The prior odds are the smaller of two estimates, each too generous in its
    own case (measured, docs/association.md): the share of candidates that continue, fitted to
    the candidates by EM (it runs away on weak features: candidates are chosen near in
    appearance, so their mean likelihood ratio exceeds one where none continues), and 1 / n, a
    tracklet's continuation being one of its n candidates, none favoured (too generous where
    the tracker left few fragments: every tracklet still has n candidates)."""
    if len(a) == 0:
        return np.zeros(0), 0.0
    pi = 0.1
    for _ in range(iters):
        new = float(np.clip(expit(logit(pi) + log_ratio).mean(), 1e-6, 0.5))
        if abs(new - pi) < 1e-7:
            break
        pi = new
    n = np.maximum(np.bincount(a, minlength=M)[a], np.bincount(b, minlength=M)[b])
    post = expit(log_ratio + np.minimum(logit(pi), -np.log(n)))
    best_a = np.full(M, -np.inf)
    best_b = np.full(M, -np.inf)
    np.maximum.at(best_a, a, log_ratio)
    np.maximum.at(best_b, b, log_ratio)
    mutual = (log_ratio >= best_a[a]) & (log_ratio >= best_b[b])
    return np.where(mutual, post, 0.0), pi


def link_camera(cam: CameraTracklets, model: ContinuationModel, neighbours: np.ndarray | None,
                which: str = "camera") -> Links:
    """Chains of continuations in one camera: candidates scored, the posterior of each read
    against its rivals on both sides, links above one half made strongest first, one successor
    and one predecessor each."""
    M = len(cam)
    a, b = candidate_pairs(cam, neighbours)
    dist = 1.0 - np.einsum("nd,nd->n", cam.features[a], cam.features[b])
    gap = (cam.first[b] - cam.last[a]).astype(np.float64)
    post, share = link_posterior(a, b, model.log_ratio(dist, gap, cam.exit[a], cam.entry[b]), M)
    succ = np.full(M, -1)
    pred = np.full(M, -1)
    for e in np.argsort(-post, kind="stable"):
        if post[e] <= 0.5:
            break
        i, j = int(a[e]), int(b[e])
        if succ[i] < 0 and pred[j] < 0:
            succ[i], pred[j] = j, i
    src = np.flatnonzero(succ >= 0)
    graph = coo_matrix((np.ones(len(src)), (src, succ[src])), shape=(M, M))
    _, labels = connected_components(graph, directed=False)
    return Links(labels.astype(np.int64), int(len(a)), int(len(src)), share, which)


def link_network(cameras: list[CameraTracklets], neighbours: list[np.ndarray | None], seed: int = 0) -> list[Links]:
    """Every camera's continuation links; a camera with too few tracklets seen at once, or too
    few of two frames or more, reads the densities pooled over the network."""
    rng = np.random.default_rng(seed)
    samples = [Samples.of(c, rng) for c in cameras]
    pooled: ContinuationModel | None = None
    out = []
    for cam, s, nb in zip(cameras, samples, neighbours):
        if s.enough():
            out.append(link_camera(cam, s.model(), nb))
            continue
        if pooled is None:
            pooled = Samples.pooled(samples).model()
        out.append(link_camera(cam, pooled, nb, "network"))
    return out
