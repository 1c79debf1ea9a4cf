"""k-reciprocal re-ranking (Zhong, Zheng, Cao, Li, CVPR 2017) with bounded memory.

The published algorithm builds the full (Q+G) x (Q+G) distance matrix. Everything it reads from
that matrix is either a short neighbour list, a per-item maximum, or distances between an item and
the few members of its k-reciprocal set, so here those come from tiled nearest-neighbour searches
(reid/neighbours/topk.py) and direct distance computations; the Jaccard distance between the sparse
k-reciprocal vectors is computed through an inverted index. Only the final (query chunk x gallery)
block is dense. Same parameters and result as the original (checked against a dense
implementation in tests/reid/test_rerank.py).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from reid.neighbours.topk import topk_neighbours


def _row_max_sq(x: torch.Tensor, tile: int = 2048) -> np.ndarray:
    x2 = (x * x).sum(1)
    out = torch.zeros(len(x), dtype=x.dtype)
    for s in range(0, len(x), tile):
        d = x2[s:s + tile, None] + x2[None, :] - 2.0 * x[s:s + tile] @ x.T
        out[s:s + tile] = d.clamp_min(0).max(1).values
    return out.numpy()


def rerank(qf, gf, k1: int = 20, k2: int = 6, lam: float = 0.3, chunk: int = 256
           ) -> Iterator[tuple[slice, np.ndarray]]:
    """Re-ranked (query chunk x gallery) distance blocks, for reid.metrics.rank_metrics."""
    x = torch.as_tensor(np.concatenate([np.asarray(qf), np.asarray(gf)]), dtype=torch.float64)
    nq, n = len(qf), len(x)
    norm = np.maximum(_row_max_sq(x), 1e-12)  # each item's distances are scaled by its own maximum

    def dist(i: int, js: np.ndarray) -> np.ndarray:
        d = ((x[js] - x[i]) ** 2).sum(1).numpy()
        return d / norm[i]

    # initial ranks: each item itself first, then its k1 nearest (ties aside, as argsort would)
    _, nn = topk_neighbours(x, k1, exclude_self=True)
    ranks = np.concatenate([np.arange(n)[:, None], nn.numpy()], 1)  # (n, k1 + 1)

    def k_reciprocal(i: int, k: int) -> np.ndarray:
        fwd = ranks[i, : k + 1]
        back = ranks[fwd, : k + 1]
        return fwd[(back == i).any(1)]

    half = int(np.around(k1 / 2))
    rows, cols, vals = [], [], []
    for i in range(n):
        r = k_reciprocal(i, k1)
        expanded = r
        for c in r:
            rc = k_reciprocal(int(c), half)
            if len(np.intersect1d(rc, r)) > 2 / 3 * len(rc):
                expanded = np.append(expanded, rc)
        expanded = np.unique(expanded)
        w = np.exp(-dist(i, expanded))
        rows.append(np.full(len(expanded), i))
        cols.append(expanded)
        vals.append(w / w.sum())
    from scipy.sparse import csr_matrix

    V = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    if k2 != 1:  # local query expansion: average the vectors of each item's k2 nearest
        expand = csr_matrix((np.full(n * k2, 1.0 / k2), (np.repeat(np.arange(n), k2), ranks[:, :k2].ravel())),
                            shape=(n, n))
        V = (expand @ V).tocsr()
    Vc = V.tocsc()
    g_ids = np.arange(nq, n)
    for s in range(0, nq, chunk):
        e = min(s + chunk, nq)
        jac = np.zeros((e - s, n - nq))
        for qi in range(s, e):
            row = V.getrow(qi)
            m = np.zeros(n)
            for k, v in zip(row.indices, row.data):
                col = Vc.getcol(k)
                np.add.at(m, col.indices, np.minimum(v, col.data))
            mg = m[g_ids]
            jac[qi - s] = 1.0 - mg / (2.0 - mg)
        q = x[s:e]
        g = x[nq:]
        orig = ((q * q).sum(1)[:, None] + (g * g).sum(1)[None] - 2 * q @ g.T).clamp_min(0).numpy()
        orig = orig / norm[s:e, None]
        yield slice(s, e), (jac * (1 - lam) + orig * lam).astype(np.float32)
