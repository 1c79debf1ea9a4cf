"""Benchmark merge and match at network scale (features given; embedding is timed elsewhere).

    python tools/bench_merge.py [--tracklets 1000000 --cameras 20 --dim 512 --reference 20000]

Synthetic tracklet features with identity structure, shaped like a learned model's: a quarter as
many people as tracklets, each tracklet in a random camera; every person a centre, every tracklet
that centre plus its own deviation, L2-normalised. The spread over dimensions follows the PCA
spectrum measured on OSNet features of CUHK03's tracklets (variance of component j ~ j^-0.45
exp(-j/60): 31 % in 8 components, 83 % in 64, 99.6 % in 256), and the deviation holds 25 % of the
variance, as measured for the model UTAL learned there (cuhk-osnet: within-identity / total =
0.249). Isotropic Gaussian features, the usual stand-in, make neighbours far easier to find
than real ones: every dimension counts alike and distances concentrate.

One run prints: the network's neighbour pass (exact below --exact-below, approximate above), merge
(per-camera affinity graph and components) and match (mutual links, constrained union, ranked
lists) on it, their sum, peak memory, the approximate search's recall@1 against exact on --sample
tracklets, pair precision / recall of the identities against the synthetic truth; and beside it
the same on --reference tracklets with exact search (the reference). Acceptance (issue 16):
1,000,000 tracklets, 512-D, 20 cameras: merge + match under 10 minutes, recall@1 >= 0.99.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.association.config import MatchConfig, MergeConfig  # noqa: E402
from reid.association.network import match_cameras, network_neighbours  # noqa: E402
from reid.neighbours.search import NeighbourConfig, measure_recall  # noqa: E402
from reid.tracklet_index import TrackletIndex  # noqa: E402
from tracklet_reid.synthetic.network import feature_spectrum  # noqa: E402

WITHIN_SHARE = 0.25  # a tracklet's own deviation from its person's centre: share of the variance


def synthetic_network(n: int, cameras: int, dim: int, seed: int = 0):
    """(features (n, dim) float32, person (n,), camera (n,) sorted, first, last frames)."""
    rng = np.random.default_rng(seed)
    lam = feature_spectrum(dim)
    people = max(1, n // 4)
    person = rng.integers(0, people, n)
    cams = np.sort(rng.integers(0, cameras, n))
    f = rng.standard_normal((people, dim), dtype=np.float32)
    f *= np.sqrt((1 - WITHIN_SHARE) * lam).astype(np.float32)
    f = f[person]
    for s in range(0, n, 100_000):  # in blocks: a second (n, dim) array would double the peak
        f[s:s + 100_000] += (rng.standard_normal((min(100_000, n - s), dim), dtype=np.float32)
                             * np.sqrt(WITHIN_SHARE * lam).astype(np.float32))
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    first = rng.integers(0, 100_000 * max(1, n // 20_000), n)
    last = first + rng.integers(5, 300, n)
    return f, person, cams, first, last


def network_index(cams: np.ndarray, first: np.ndarray, last: np.ndarray) -> TrackletIndex:
    n = len(cams)
    names = [f"c{c:02d}" for c in range(int(cams.max()) + 1)]
    starts = np.searchsorted(cams, np.arange(len(names) + 1))
    slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
    local = np.arange(n) - starts[cams]
    return TrackletIndex(names, slices, cams, local, np.zeros(n, np.int64), np.ones(n, np.int64),
                         np.full(n, -1), first, last)


def pair_scores(truth: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Pair precision / recall from the contingency table (no list of pairs)."""
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(labels, return_inverse=True)
    both = np.unique(t.astype(np.int64) * (p.max() + 1) + p, return_counts=True)[1]

    def pairs(c):
        return float((c.astype(np.float64) * (c - 1) / 2).sum())

    tp = pairs(both)
    pp, tt = pairs(np.bincount(p)), pairs(np.bincount(t))
    return tp / max(pp, 1.0), tp / max(tt, 1.0)


def run(n: int, cameras: int, dim: int, search: NeighbourConfig, sample: int) -> dict:
    t0 = time.perf_counter()
    f, person, cams, first, last = synthetic_network(n, cameras, dim)
    gen = time.perf_counter() - t0
    feats = torch.from_numpy(f)
    index = network_index(cams, first, last)
    cfg = MatchConfig(merge=MergeConfig(search=replace(search, recall_sample=0)))
    t0 = time.perf_counter()
    nb = network_neighbours(feats, index, cfg)
    t_search = time.perf_counter() - t0
    ids = match_cameras(feats, index, cfg, neighbours=nb)
    total = time.perf_counter() - t0
    out = {"n": n, "generate_s": gen, "search_s": t_search, "merge_match_s": total, "identities": ids.count,
           "links": ids.stats["links_made"], "method": nb.method, "stages": nb.seconds}
    out["precision"], out["recall"] = pair_scores(person, ids.labels)
    if nb.method == "approximate" and sample:
        t0 = time.perf_counter()
        out.update(measure_recall(feats, cams, nb, sample))
        out["recall_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracklets", type=int, default=1_000_000)
    ap.add_argument("--cameras", type=int, default=20)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--reference", type=int, default=20_000, help="tracklets of the exact reference run (0: none)")
    ap.add_argument("--sample", type=int, default=1000, help="tracklets whose recall@1 is checked exactly")
    ap.add_argument("--neighbours", default="auto", choices=("auto", "exact", "approximate"))
    ap.add_argument("--probe-share", type=float, default=NeighbourConfig().probe_share)
    ap.add_argument("--candidates", type=int, default=NeighbourConfig().candidates)
    args = ap.parse_args()
    search = NeighbourConfig(method=args.neighbours, probe_share=args.probe_share, candidates=args.candidates)
    print(f"{args.tracklets} tracklets x {args.dim}-D in {args.cameras} cameras, {torch.get_num_threads()} threads")
    rows = []
    if args.reference:
        rows.append(("reference, exact", run(args.reference, args.cameras, args.dim,
                                             replace(search, method="exact"), 0)))
    rows.append((f"this run, {args.neighbours}", run(args.tracklets, args.cameras, args.dim, search, args.sample)))
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{'run':<22}{'tracklets':>10}{'search':>13}{'of which search s':>19}{'merge+match s':>15}"
          f"{'identities':>11}{'pair P':>8}{'pair R':>8}")
    for name, r in rows:
        print(f"{name:<22}{r['n']:>10}{r['method']:>13}{r['search_s']:>19.1f}{r['merge_match_s']:>15.1f}"
              f"{r['identities']:>11}{r['precision']:>8.3f}{r['recall']:>8.3f}")
    r = rows[-1][1]
    if "recall1_across" in r:
        print(f"recall@1 against exact on {r['sample']} tracklets: other cameras {r['recall1_across']:.4f}, "
              f"own camera {r['recall1_within']:.4f} (the exact check took {r['recall_s']:.0f} s)")
    if r.get("stages"):
        print("neighbour pass, seconds by stage: " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
    print(f"peak memory {peak_gb:.1f} GB; acceptance: merge + match < 600 s and recall@1 >= 0.99 at 1,000,000")


if __name__ == "__main__":
    main()
