"""CMC, mAP and mINP for re-id retrieval, on plain arrays, with bounded memory.

Queries are processed in chunks: only a (chunk x gallery) block of distances exists at a time,
so MSMT17-sized problems (11,659 x 82,161) and larger stay within a few hundred MB.

Ranking without sorting the gallery: for one query only the ranks of its true matches matter,
and there are few of them (P). Counting, for each match, the non-matches closer than it is a
(P x G) comparison, O(PG) vectorised work instead of an O(G log G) sort per query, and exact, ties
included: items at equal distance are ordered by gallery index, as a stable sort orders them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np


@dataclass
class RankResult:
    cmc: np.ndarray  # cmc[k] = fraction of valid queries with a true match within the top k+1
    mAP: float
    mINP: float
    num_queries: int  # evaluated
    num_skipped: int  # queries with no valid match in the gallery (excluded, counted)

    def rank(self, k: int) -> float:
        return float(self.cmc[k - 1]) if k - 1 < len(self.cmc) else float("nan")

    def as_dict(self, ranks: tuple[int, ...] = (1, 5, 10, 20)) -> dict:
        d = {f"rank{k}": self.rank(k) for k in ranks}
        d.update(mAP=self.mAP, mINP=self.mINP, num_queries=self.num_queries, num_skipped=self.num_skipped)
        return d


def chunked_distances(qf, gf, chunk: int | None = None, device: str | None = None
                      ) -> Iterator[tuple[slice, np.ndarray]]:
    """Euclidean distances (query chunk x gallery), as float32 numpy blocks."""
    import torch

    q = torch.as_tensor(np.asarray(qf, dtype=np.float32), device=device)
    g = torch.as_tensor(np.asarray(gf, dtype=np.float32), device=device)
    n_g = g.shape[0]
    chunk = chunk or max(1, min(len(q), int(2e7 // max(n_g, 1))))
    g2 = (g * g).sum(1)
    for s in range(0, q.shape[0], chunk):
        qc = q[s:s + chunk]
        d2 = (qc * qc).sum(1, keepdim=True) + g2[None] - 2.0 * (qc @ g.T)
        yield slice(s, s + qc.shape[0]), d2.clamp_min_(0).sqrt_().cpu().numpy()


def _ranks_of_matches(d: np.ndarray, match: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """0-based ranks, among valid items, of the valid matches of one query (ascending)."""
    pos = np.flatnonzero(match & valid)
    pos = pos[np.lexsort((pos, d[pos]))]
    pd = d[pos][:, None]
    neg = valid & ~match
    dn = np.where(neg, d, np.inf)[None, :]  # non-matches only; the rest never count
    before = np.count_nonzero(dn < pd, axis=1)
    ties = np.count_nonzero(dn == pd, axis=1)
    if ties.any():  # equal distances: the lower gallery index comes first (a stable sort's order)
        idx = np.arange(len(d))[None, :]
        before += np.count_nonzero((dn == pd) & (idx < pos[:, None]), axis=1)
    return np.arange(len(pos)) + before


def rank_metrics(dist_blocks: Iterable[tuple[slice, np.ndarray]], q_pids, q_cams, g_pids, g_cams,
                 g_junk=None, max_rank: int = 50) -> RankResult:
    """Standard protocol: for each query, gallery items of the same identity *and* camera are
    removed, as are ``g_junk`` items (e.g. Market-1501's pid -1 images)."""
    q_pids, q_cams = np.asarray(q_pids), np.asarray(q_cams)
    g_pids, g_cams = np.asarray(g_pids), np.asarray(g_cams)
    junk = np.zeros(len(g_pids), bool) if g_junk is None else np.asarray(g_junk, bool)
    hits = np.zeros(max_rank, np.int64)
    aps, inps, skipped = [], [], 0
    for rows, D in dist_blocks:
        qp, qc = q_pids[rows], q_cams[rows]
        same_pid = g_pids[None, :] == qp[:, None]
        valid = ~(same_pid & (g_cams[None, :] == qc[:, None])) & ~junk[None, :]
        for i in range(D.shape[0]):
            if not (same_pid[i] & valid[i]).any():
                skipped += 1
                continue
            r = _ranks_of_matches(D[i], same_pid[i], valid[i])
            if r[0] < max_rank:
                hits[r[0]] += 1
            aps.append(float(np.mean(np.arange(1, len(r) + 1) / (r + 1))))
            inps.append(len(r) / (r[-1] + 1))
    n = len(aps)
    cmc = np.cumsum(hits) / max(n, 1)
    return RankResult(cmc=cmc, mAP=float(np.mean(aps)) if n else 0.0, mINP=float(np.mean(inps)) if n else 0.0,
                      num_queries=n, num_skipped=skipped)


# noqa reason: the standard re-id protocol's inputs (query / gallery features, ids, cameras, junk)
def evaluate_features(qf,  # noqa: PLR0913
                       gf, q_pids, q_cams, g_pids, g_cams, g_junk=None, max_rank: int = 50,
                      device: str | None = None) -> RankResult:
    return rank_metrics(chunked_distances(qf, gf, device=device), q_pids, q_cams, g_pids, g_cams, g_junk, max_rank)


def evaluate_distmat(distmat, q_pids, q_cams, g_pids, g_cams, g_junk=None, max_rank: int = 50,
                     chunk: int = 256) -> RankResult:
    D = np.asarray(distmat)
    blocks = ((slice(s, min(s + chunk, len(D))), D[s:s + chunk]) for s in range(0, len(D), chunk))
    return rank_metrics(blocks, q_pids, q_cams, g_pids, g_cams, g_junk, max_rank)


def reference_rank_metrics(distmat, q_pids, q_cams, g_pids, g_cams, g_junk=None, max_rank: int = 50) -> RankResult:
    """Straightforward per-query implementation (stable argsort of the whole row), the oracle
    the fast path is tested and benchmarked against."""
    D = np.asarray(distmat, dtype=np.float64)
    junk = np.zeros(D.shape[1], bool) if g_junk is None else np.asarray(g_junk, bool)
    hits = np.zeros(max_rank)
    aps, inps, skipped = [], [], 0
    for i in range(D.shape[0]):
        order = np.argsort(D[i], kind="stable")
        keep = ~(((g_pids[order] == q_pids[i]) & (g_cams[order] == q_cams[i])) | junk[order])
        m = (g_pids[order] == q_pids[i])[keep]
        if not m.any():
            skipped += 1
            continue
        first = int(np.flatnonzero(m)[0])
        if first < max_rank:
            hits[first] += 1
        ranks = np.flatnonzero(m)
        aps.append(float(np.mean((np.arange(len(ranks)) + 1) / (ranks + 1))))
        inps.append(len(ranks) / (ranks[-1] + 1))
    n = len(aps)
    return RankResult(np.cumsum(hits) / max(n, 1), float(np.mean(aps)) if n else 0.0,
                      float(np.mean(inps)) if n else 0.0, n, skipped)
