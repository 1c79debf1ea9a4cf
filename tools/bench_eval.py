"""Benchmark the re-id metric core on a Market-1501-sized random problem.

    python tools/bench_eval.py [--queries 3368 --gallery 15913 --junk 0.15]

Times our chunked metric core against a straightforward per-query numpy reference (stable
argsort of every gallery row) on the same distance matrix, checks they agree, and reports the
peak memory of the chunked path at MSMT17 size (11,659 x 82,161, features -> metrics).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.eval.rank_metrics import evaluate_distmat, evaluate_features, reference_rank_metrics  # noqa: E402


def problem(nq: int, ng: int, junk: float, ids: int, rng):
    q_pids = rng.integers(1, ids, nq)
    g_pids = np.concatenate([rng.integers(1, ids, ng - ids), np.arange(ids)])[:ng]
    g_pids[rng.random(ng) < junk] = -1
    return q_pids, rng.integers(0, 6, nq), g_pids, rng.integers(0, 6, ng)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=3368)
    ap.add_argument("--gallery", type=int, default=15913)
    ap.add_argument("--junk", type=float, default=0.15)
    ap.add_argument("--skip-msmt", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    qp, qc, gp, gc = problem(args.queries, args.gallery, args.junk, 751, rng)
    D = rng.random((args.queries, args.gallery), dtype=np.float32)
    t0 = time.perf_counter()
    ours = evaluate_distmat(D, qp, qc, gp, gc, g_junk=gp == -1)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = reference_rank_metrics(D, qp, qc, gp, gc, g_junk=gp == -1)
    t_ref = time.perf_counter() - t0
    agree = abs(ours.mAP - ref.mAP) < 1e-9 and np.allclose(ours.cmc, ref.cmc) and abs(ours.mINP - ref.mINP) < 1e-9
    print(f"Market-sized random problem: {args.queries} queries x {args.gallery} gallery, {args.junk:.0%} junk")
    print(f"{'implementation':<28}{'seconds':>9}{'mAP':>9}{'R1':>8}")
    print(f"{'ours (chunked, no sort)':<28}{t_ours:>9.2f}{ours.mAP:>9.4f}{ours.rank(1):>8.4f}")
    print(f"{'reference (per-query sort)':<28}{t_ref:>9.2f}{ref.mAP:>9.4f}{ref.rank(1):>8.4f}")
    print(f"agree: {agree}; speed-up x{t_ref / t_ours:.1f}; acceptance: ours < 2 s")
    if not args.skip_msmt:
        nq, ng, dim = 11659, 82161, 2048
        qp, qc, gp, gc = problem(nq, ng, 0.0, 1041, rng)
        qf = rng.standard_normal((nq, dim), dtype=np.float32)
        gf = rng.standard_normal((ng, dim), dtype=np.float32)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        r = evaluate_features(qf, gf, qp, qc, gp, gc)
        dt = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        feats = (qf.nbytes + gf.nbytes) / 2**20
        print(f"MSMT17-sized features ({nq} x {ng}, {dim}-D): {dt:.1f} s, peak RSS {peak / 1024:.0f} MB "
              f"(features alone {feats:.0f} MB; growth during evaluation {(peak - base) / 1024:.0f} MB; "
              f"a full distance matrix would be {nq * ng * 8 / 2**30:.1f} GB); mAP {r.mAP:.4f}")


if __name__ == "__main__":
    main()
