"""Bounded-memory re-ranking against a dense implementation of the published algorithm."""
from __future__ import annotations

import numpy as np

from reid.eval.rank_metrics import evaluate_features, rank_metrics
from reid.eval.rerank import rerank


def dense_rerank(qf, gf, k1=20, k2=6, lam=0.3):
    x = np.concatenate([qf, gf]).astype(np.float64)
    nq, n = len(qf), len(x)
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    d = d / d.max(axis=1, keepdims=True)  # scaled by each row item's own maximum
    rank = np.argsort(d, axis=1, kind="stable")
    V = np.zeros((n, n))
    half = int(np.around(k1 / 2))

    def kr(i, k):
        fwd = rank[i, : k + 1]
        return np.array([j for j in fwd if i in rank[j, : k + 1]])

    for i in range(n):
        r = kr(i, k1)
        exp = r
        for c in r:
            rc = kr(c, half)
            if len(np.intersect1d(rc, r)) > 2 / 3 * len(rc):
                exp = np.append(exp, rc)
        exp = np.unique(exp)
        w = np.exp(-d[i, exp])
        V[i, exp] = w / w.sum()
    if k2 != 1:
        V = np.stack([V[rank[i, :k2]].mean(0) for i in range(n)])
    jac = np.zeros((nq, n - nq))
    for i in range(nq):
        for j in range(nq, n):
            mn = np.minimum(V[i], V[j]).sum()
            mx = np.maximum(V[i], V[j]).sum()
            jac[i, j - nq] = 1 - mn / mx
    return jac * (1 - lam) + d[:nq, nq:] * lam


def test_matches_dense_reranking():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((6, 8))
    pid_q, pid_g = rng.integers(0, 6, 12), rng.integers(0, 6, 40)
    qf = centres[pid_q] + 0.6 * rng.standard_normal((12, 8))
    gf = centres[pid_g] + 0.6 * rng.standard_normal((40, 8))
    want = dense_rerank(qf, gf, k1=6, k2=3)
    got = np.concatenate([b for _, b in rerank(qf, gf, k1=6, k2=3, chunk=5)])
    assert np.allclose(got, want, atol=1e-5)
    cams_q, cams_g = np.zeros(12), np.ones(40)
    base = evaluate_features(qf, gf, pid_q, cams_q, pid_g, cams_g)
    rr = rank_metrics(rerank(qf, gf, k1=6, k2=3), pid_q, cams_q, pid_g, cams_g)
    assert rr.num_queries == base.num_queries and 0 <= rr.mAP <= 1
