"""A camera network in space and time, at the level of tracklets (no pixels): the world that the
label-free space-time model (`reid.spacetime`) is scored against, from a few thousand tracklets
to millions.

Places on a walking graph (a ring with chords), one camera each except one place watched by two
cameras from opposite sides (the overlapping pair). Every walking link has its own transit-time
distribution (log-normal, seconds to minutes) and enters and leaves each camera through its own
zone of the image; the camera pairs with no link have none. People arrive over the hours (a
share of them in a rush hour) and walk a route of two to six places, sometimes stepping out and
back into the same view (re-entry); a tracker sometimes cuts a visit in two. Each camera has its
own frame rate and a clock offset of up to ``max_offset_s``: times in the tracklets are the
cameras' own clocks, quantised to their frames.

Features are shaped like a learned model's (the PCA spectrum measured on OSNet features of
CUHK03, as in tools/bench_merge.py): every person a centre, every camera a shift of its own, every
tracklet its own deviation; ``within_share`` sets how weak the appearance model is.

The true topology (links with their median transit times and zones, the overlapping pair, the
offsets) is returned beside the tracklets, for scoring only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# zones of a camera's image (normalised x, y of the foot point): the walking links of a place are
# given these in turn; people who arrive from or leave to outside the network use the door
ZONES = {"left": (0.06, 0.80), "right": (0.94, 0.80), "bottom": (0.50, 0.96), "far": (0.50, 0.55),
         "door": (0.78, 0.60)}
LINK_ZONES = ("left", "right", "bottom", "far")


@dataclass(frozen=True)
class NetworkConfig:
    cameras: int = 10  # the last two watch one place
    people: int = 1500
    hours: float = 4.0
    dim: int = 128
    within_share: float = 0.30  # a tracklet's own deviation: share of the feature variance
    camera_share: float = 0.10  # the camera's shift (light, colour): share of the variance
    transit_s: tuple[float, float] = (15.0, 180.0)  # range of the links' median transit times
    transit_spread: float = 0.15  # log-normal sigma of a link's transit times
    visit_s: tuple[float, float] = (5.0, 25.0)  # time in view per visit
    route: tuple[int, int] = (2, 6)  # places per route
    chords: int = 2  # links across the ring
    rush_share: float = 0.4  # share of people arriving within the rush hour
    re_entry: float = 0.1  # chance that a visit is followed by stepping back into the same view
    fragment: float = 0.15  # chance that the tracker cuts a visit in two
    max_offset_s: float = 600.0  # camera clocks are off by up to this much
    fps_choices: tuple[float, ...] = (5.0, 10.0, 12.5, 25.0, 30.0)
    seed: int = 0


@dataclass
class NetworkWorld:
    cameras: list[str]
    fps: np.ndarray  # (C,)
    offsets: np.ndarray  # (C,) seconds each camera's clock is ahead of true time
    camera_of: np.ndarray  # (N,) tracklets sorted by camera
    person: np.ndarray  # (N,) ground truth, for scoring only
    first_time: np.ndarray  # (N,) seconds on the camera's own clock, on its frame grid
    last_time: np.ndarray
    entry: np.ndarray  # (N, 2)
    exit: np.ndarray
    features: np.ndarray  # (N, dim) float32, L2-normalised
    truth: dict  # the true topology: links, overlapping pairs, offsets (scoring only)

    def index(self):
        """A TrackletIndex over the tracklets (frame numbers on each camera's own frame grid)."""
        from reid.tracklet_index import TrackletIndex

        n = len(self.camera_of)
        starts = np.searchsorted(self.camera_of, np.arange(len(self.cameras) + 1))
        slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
        fps = self.fps[self.camera_of]
        return TrackletIndex(list(self.cameras), slices, self.camera_of, np.arange(n) - starts[self.camera_of],
                             np.zeros(n, np.int64), np.ones(n, np.int64), self.person.copy(),
                             np.round(self.first_time * fps).astype(np.int64),
                             np.round(self.last_time * fps).astype(np.int64),
                             first_time=self.first_time, last_time=self.last_time, entry=self.entry, exit=self.exit)

    def shuffled_times(self, seed: int = 0) -> "NetworkWorld":
        """The null world: each camera's (first, last, entry, exit) permuted among its own tracklets,
        so that time and place say nothing about who is who."""
        rng = np.random.default_rng(seed)
        perm = np.arange(len(self.camera_of))
        for c in range(len(self.cameras)):
            rows = np.flatnonzero(self.camera_of == c)
            perm[rows] = rng.permutation(rows)
        return NetworkWorld(self.cameras, self.fps, self.offsets, self.camera_of, self.person,
                            self.first_time[perm], self.last_time[perm], self.entry[perm], self.exit[perm],
                            self.features, self.truth)


def feature_spectrum(dim: int) -> np.ndarray:
    """Variance per component of features shaped like a learned re-id model's (PCA of OSNet features
    on CUHK03: variance of component j ~ j^-0.45 exp(-j/60)), summing to one."""
    j = np.arange(1, dim + 1)
    lam = j ** -0.45 * np.exp(-j / 60)
    return lam / lam.sum()


def _walking_graph(cfg: NetworkConfig, rng: np.random.Generator) -> tuple[int, list[tuple[int, int]]]:
    """(places, undirected links): a ring over the places plus ``chords`` links across it."""
    places = cfg.cameras - 1
    edges = {(p, (p + 1) % places) for p in range(places)}
    tries = 0
    while len(edges) < places + cfg.chords and tries < 1000:
        a, b = sorted(rng.choice(places, 2, replace=False).tolist())
        if (b - a) % places not in (1, places - 1):
            edges.add((a, b))
        tries += 1
    return places, sorted(tuple(sorted(e)) for e in edges)  # type: ignore[misc]


def _routes(cfg: NetworkConfig, places: int, edges: list[tuple[int, int]], rng) -> tuple[np.ndarray, np.ndarray]:
    """(P, S) place per step (-1 after the route ends) and (P, S) the link taken to reach each step
    (-1 at the start): random walks that do not turn straight back."""
    P, S = cfg.people, cfg.route[1]
    nbrs = [[(b if a == p else a, e) for e, (a, b) in enumerate(edges) if p in (a, b)] for p in range(places)]
    width = max(len(n) for n in nbrs)
    nb_place = np.full((places, width), -1)
    nb_edge = np.full((places, width), -1)
    for p, n in enumerate(nbrs):
        nb_place[p, :len(n)] = [q for q, _ in n]
        nb_edge[p, :len(n)] = [e for _, e in n]
    degree = (nb_place >= 0).sum(1)
    length = rng.integers(cfg.route[0], cfg.route[1] + 1, P)
    place = np.full((P, S), -1)
    via = np.full((P, S), -1)
    place[:, 0] = rng.integers(0, places, P)
    prev = np.full(P, -1)
    for s in range(1, S):
        cur = place[:, s - 1]
        pick = rng.integers(0, 1 << 30, P) % degree[cur]
        nxt, e = nb_place[cur, pick], nb_edge[cur, pick]
        back = (nxt == prev) & (degree[cur] > 1)  # no straight turn back: take the next neighbour
        pick2 = (pick + 1) % degree[cur]
        nxt, e = np.where(back, nb_place[cur, pick2], nxt), np.where(back, nb_edge[cur, pick2], e)
        on = s < length
        place[on, s], via[on, s] = nxt[on], e[on]
        prev = np.where(on, cur, prev)
    return place, via


def _link_zones(places: int, edges: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Which zone of place p's image the link to place q uses."""
    used: dict[int, int] = {}
    zone = {}
    for a, b in edges:
        for p, q in ((a, b), (b, a)):
            zone[(p, q)] = LINK_ZONES[used.get(p, 0) % len(LINK_ZONES)]
            used[p] = used.get(p, 0) + 1
    return zone


def generate_network(cfg: NetworkConfig = NetworkConfig()) -> NetworkWorld:  # noqa: C901 - one pass, stage by stage
    """The world: tracklets with times, places and features, and the true topology."""
    if cfg.cameras < 4:
        raise ValueError("a network world needs at least 4 cameras")
    rng = np.random.default_rng(cfg.seed)
    places, edges = _walking_graph(cfg, rng)
    lo, hi = np.log(cfg.transit_s[0]), np.log(cfg.transit_s[1])
    median = np.exp(rng.uniform(lo, hi, len(edges)))
    zone_of = _link_zones(places, edges)
    place, via = _routes(cfg, places, edges, rng)
    P, S = place.shape
    span = cfg.hours * 3600.0
    rush = rng.random(P) < cfg.rush_share
    t0 = np.where(rush, rng.normal(0.5 * span, 600.0, P), rng.uniform(0, span, P)).clip(0, span)
    # visits step by step: arrive, stay, walk the next link
    visits = []  # (person, place, t_in, t_out, zone_in, zone_out)
    t = t0.copy()
    for s in range(S):
        on = place[:, s] >= 0
        if s > 0:
            e = via[on, s]
            t[on] += median[e] * np.exp(rng.normal(0, cfg.transit_spread, on.sum()))
        stay = np.asarray(rng.uniform(*cfg.visit_s, P))
        who = np.flatnonzero(on)
        p_here = place[who, s]
        z_in = ["door" if s == 0 else zone_of[(int(p), int(q))] for p, q in
                zip(p_here, place[who, s - 1] if s > 0 else p_here)]
        nxt = place[who, s + 1] if s + 1 < S else np.full(len(who), -1)
        z_out = ["door" if q < 0 else zone_of[(int(p), int(q))] for p, q in zip(p_here, nxt)]
        visits += list(zip(who, p_here, t[who], t[who] + stay[who], z_in, z_out))
        t[on] += stay[on]
        back = on & (rng.random(P) < cfg.re_entry) & (s + 1 < S) & (place[:, min(s + 1, S - 1)] >= 0)
        if back.any():  # step out through the next link's zone, turn round, come back in through it
            gap = np.asarray(rng.uniform(20.0, 90.0, P))
            for k in np.flatnonzero(back):
                zk = z_out[int(np.searchsorted(who, k))]
                visits.append((k, place[k, s], t[k] + gap[k], t[k] + gap[k] + stay[k] * 0.6, zk, zk))
                t[k] += gap[k] + stay[k] * 0.6
    V = np.array([(v[0], v[1], v[2], v[3]) for v in visits])
    zin = np.array([v[4] for v in visits])
    zout = np.array([v[5] for v in visits])
    person, vplace, tin, tout = V[:, 0].astype(np.int64), V[:, 1].astype(np.int64), V[:, 2], V[:, 3]
    # cameras: place k is camera k; the last place is also watched by the last camera, from the other side
    both = vplace == places - 1
    seen2 = both & (rng.random(len(vplace)) < 0.9)
    cam = np.concatenate([vplace, np.full(seen2.sum(), cfg.cameras - 1)])
    jit = rng.normal(0, 1.0, (seen2.sum(), 2))
    person = np.concatenate([person, person[seen2]])
    tin = np.concatenate([tin, tin[seen2] + jit[:, 0]])
    tout = np.concatenate([tout, tout[seen2] + jit[:, 1]])
    mirror = np.zeros(len(cam), bool)
    mirror[len(vplace):] = True  # the other side of the place sees left and right swapped
    zin, zout = np.concatenate([zin, zin[seen2]]), np.concatenate([zout, zout[seen2]])
    entry = np.array([ZONES[z] for z in zin], float)
    exit_ = np.array([ZONES[z] for z in zout], float)
    entry[mirror, 0], exit_[mirror, 0] = 1 - entry[mirror, 0], 1 - exit_[mirror, 0]
    # the tracker cuts some visits in two, somewhere inside the view
    cut = rng.random(len(cam)) < cfg.fragment
    frac = rng.uniform(0.3, 0.7, cut.sum())
    gap = rng.uniform(0.5, 2.0, cut.sum())
    mid_t = tin[cut] + frac * (tout[cut] - tin[cut])
    mid_p = rng.uniform(0.25, 0.75, (cut.sum(), 2))
    second = (person[cut], cam[cut], mid_t + gap, tout[cut].copy(), mid_p, exit_[cut].copy())
    tout[cut], exit_[cut] = mid_t, mid_p
    person = np.concatenate([person, second[0]])
    cam = np.concatenate([cam, second[1]])
    tin, tout = np.concatenate([tin, second[2]]), np.concatenate([tout, second[3]])
    entry, exit_ = np.concatenate([entry, second[4]]), np.concatenate([exit_, second[5]])
    entry = (entry + rng.normal(0, 0.02, entry.shape)).clip(0, 1)
    exit_ = (exit_ + rng.normal(0, 0.02, exit_.shape)).clip(0, 1)
    # each camera's clock and frame grid
    fps = rng.choice(np.asarray(cfg.fps_choices), cfg.cameras)
    offsets = rng.uniform(-cfg.max_offset_s, cfg.max_offset_s, cfg.cameras)
    offsets[0] = 0.0  # one camera keeps true time, so offsets read as "relative to the first"
    first = np.floor((tin + offsets[cam]) * fps[cam]) / fps[cam]
    last = np.maximum(np.floor((tout + offsets[cam]) * fps[cam]) / fps[cam], first)
    order = np.lexsort((first, cam))
    person, cam, first, last = person[order], cam[order], first[order], last[order]
    entry, exit_ = entry[order], exit_[order]
    features = _features(cfg, person, cam, rng)
    links = [{"cameras": [f"cam{a + 1}", f"cam{b + 1}"], "median_transit_s": float(m),
              "zones": [zone_of[(a, b)], zone_of[(b, a)]]} for (a, b), m in zip(edges, median)]
    # the overlapping place's second camera joins its place's links
    last_place = places - 1
    links += [{"cameras": [f"cam{cfg.cameras}", f"cam{(b if a == last_place else a) + 1}"], "median_transit_s":
               float(m), "zones": ["mirrored", "mirrored"]} for (a, b), m in zip(edges, median) if last_place in (a, b)]
    truth = {"links": links, "overlapping": [[f"cam{cfg.cameras - 1}", f"cam{cfg.cameras}"]],
             "offsets_s": {f"cam{c + 1}": float(o) for c, o in enumerate(offsets)},
             "fps": {f"cam{c + 1}": float(f) for c, f in enumerate(fps)}, "config": asdict(cfg)}
    return NetworkWorld([f"cam{c + 1}" for c in range(cfg.cameras)], fps, offsets, cam, person, first, last,
                        entry, exit_, features, truth)


def _features(cfg: NetworkConfig, person: np.ndarray, cam: np.ndarray, rng) -> np.ndarray:
    """Person centre + camera shift + own deviation, each with the learned-model spectrum; built in
    blocks so that a million tracklets need one (N, dim) array."""
    lam = feature_spectrum(cfg.dim).astype(np.float32)
    people = int(person.max()) + 1
    centre = rng.standard_normal((people, cfg.dim), dtype=np.float32) * np.sqrt(
        (1 - cfg.within_share - cfg.camera_share) * lam)
    shift = rng.standard_normal((cfg.cameras, cfg.dim), dtype=np.float32) * np.sqrt(cfg.camera_share * lam)
    out = np.empty((len(person), cfg.dim), np.float32)
    own = np.sqrt(cfg.within_share * lam)
    for s in range(0, len(person), 100_000):
        sl = slice(s, s + 100_000)
        out[sl] = centre[person[sl]] + shift[cam[sl]] + rng.standard_normal(
            (len(person[sl]), cfg.dim), dtype=np.float32) * own
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out
