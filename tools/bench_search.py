"""Search speed and accuracy, one run.

    python tools/bench_search.py STORE --model MODEL [--tracklets 20000] [--dim 512] [--queries 50]

1. On STORE (with ground truth): every labelled tracklet searched against the store (the query
   itself and its own camera's fragments of the same person left out, the standard protocol):
   Rank-1 / Rank-5 / mAP of search; the index build (embedding every tracklet) against a query
   with the index in place.
2. At --tracklets (default 20,000) random features of --dim: the time to read the index file and
   answer one query (the library path `pipeline search` takes), median of --queries, against the
   reference of embedding the store again (extrapolated from step 1's embedding speed).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reid.eval.rank_metrics import evaluate_features  # noqa: E402
from reid.search.query import SearchIndex, index_path, load_or_build_index, rank, read_index, save_index  # noqa: E402
from tracking.store import TrackletStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tracklets", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()

    st = TrackletStore(args.store)
    path = index_path(st, args.model)
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    index = load_or_build_index(st, args.model)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    hits = rank(load_or_build_index(st, args.model), index.across[0], 20, exclude=0, features=index.across)
    query = time.perf_counter() - t0
    known = index.gt >= 0
    r = evaluate_features(index.across[known], index.across[known], index.gt[known], index.camera_of[known],
                          index.gt[known], index.camera_of[known])
    print(f"{args.store}: {index.num_tracklets} tracklets, {index.model_name}")
    print(f"  search against ground truth ({int(known.sum())} queries): Rank-1 {r.rank(1):.3f}  Rank-5 "
          f"{r.rank(5):.3f}  mAP {r.mAP:.3f}")
    print(f"  index build (embed every tracklet): {build:.2f} s = {index.num_tracklets / build:.0f} tracklets/s;"
          f" a query with the index in place: {query * 1000:.1f} ms ({len(hits)} hits)")
    cli = [sys.executable, "-m", "pipeline", "search", str(args.store), "--model", args.model, "--tracklet",
           f"{index.cameras[0]}:0", "-q"]
    t0 = time.perf_counter()
    subprocess.run(cli, cwd=ROOT, check=True)
    print(f"  `pipeline search --tracklet` end to end with the index (process start included): "
          f"{time.perf_counter() - t0:.2f} s")

    rng = np.random.default_rng(0)
    n, d = args.tracklets, args.dim
    centres = rng.normal(size=(n // 4, d)).astype(np.float32)
    feats = (centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, d))).astype(np.float32)
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        big = tmp / "big.npz"
        zeros = np.zeros(n, np.int64)
        save_index(SearchIndex(feats, feats, ["c1"], zeros, np.arange(n), zeros, zeros, zeros - 1, "synthetic",
                               (256, 128)), big)
        times = []
        for q in range(args.queries):
            t0 = time.perf_counter()
            ix = read_index(big)
            rank(ix, ix.across[q], 20, exclude=q, features=ix.across)
            times.append(time.perf_counter() - t0)
        per = float(np.median(times))
        ref = n / (index.num_tracklets / build)
        print(f"{n} tracklets x {d}-D: read the index and answer one query: median {per * 1000:.0f} ms "
              f"({1 / per:.1f} queries/s); reference, embedding the store again at step 1's speed: ~{ref:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
