"""The contrast learner's per-epoch refresh (identities from the tracklet memory,
`reid/contrast/clusters.py`) at scale: seconds and peak memory per refresh at 100k and 1M
tracklets, with the shared camera search (exact below `--exact-below`, faiss IVF-PQ past it)
against the exact all-pairs search it used before, in the same run where it fits.

    python tools/bench_refresh.py [--sizes 100000,1000000] [--dim 512] [--cameras 8]

Each size runs in its own process, so that the peak resident memory it prints is that refresh's.
Features are synthetic: identities seen by several cameras with a per-camera shift and noise.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def one(n: int, dim: int, cameras: int, method: str) -> dict:
    import numpy as np
    import torch

    from reid.contrast.clusters import cluster_tracklets
    from reid.neighbours.config import NeighbourConfig

    rng = np.random.default_rng(0)
    people = max(n // 6, 1)
    who = rng.integers(0, people, n)
    cams = rng.integers(0, cameras, n)
    centre = torch.from_numpy(rng.standard_normal((people, dim), dtype=np.float32))
    shift = torch.from_numpy(rng.standard_normal((cameras, dim), dtype=np.float32)) * 0.3
    f = centre[who] + shift[cams] + torch.from_numpy(rng.standard_normal((n, dim), dtype=np.float32)) * 0.5
    f = torch.nn.functional.normalize(f, dim=1)
    first = rng.integers(0, 100_000, n)
    last = first + rng.integers(0, 200, n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    labels = cluster_tracklets(f, cams, first, last, True, 1, search=NeighbourConfig(method=method))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "method": method, "seconds": round(seconds, 1), "peak_rss_gb": round(peak / 2**20, 2),
            "features_gb": round(n * dim * 4 / 2**30, 2), "rss_growth_gb": round((peak - before) / 2**20, 2),
            "identities": int(labels.max()) + 1, "true_people": int(len(np.unique(who)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--cameras", type=int, default=8)
    ap.add_argument("--exact-up-to", type=int, default=100_000, help="also time the exact all-pairs search up to "
                    "this size (the reference: what the refresh did before)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        n, method = args.one.split(":")
        print(json.dumps(one(int(n), args.dim, args.cameras, method)))
        return
    print(f"{'tracklets':>10} {'search':>12} {'seconds':>8} {'peak RSS GB':>12} {'features GB':>12} {'identities':>11}")
    for n in (int(s) for s in args.sizes.split(",")):
        for method in ("auto", "exact") if n <= args.exact_up_to else ("auto",):
            out = subprocess.run([sys.executable, __file__, "--one", f"{n}:{method}", "--dim", str(args.dim),
                                  "--cameras", str(args.cameras)], capture_output=True, text=True)
            if out.returncode:
                print(f"{n:>10} {method:>12}  failed: {out.stderr.strip().splitlines()[-1][:100]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            label = "exact" if method == "exact" else ("auto: exact" if n < 50_000 else "auto: IVF-PQ")
            print(f"{n:>10} {label:>12} {r['seconds']:>8} {r['peak_rss_gb']:>12} {r['features_gb']:>12} "
                  f"{r['identities']:>11}", flush=True)


if __name__ == "__main__":
    main()
