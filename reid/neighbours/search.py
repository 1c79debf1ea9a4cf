"""One neighbour pass over a camera network's tracklet features: for every tracklet, its nearest
tracklets in its own camera (what merge links) and in the other cameras (what match ranks and
links). Merge, match and learn's per-epoch refresh read these two tables.

Exact below a size, approximate above it:

- exact: the blockwise search of `reid.neighbours.topk` over the upper triangle, both tables filled from
  each distance tile (one sweep, where merge and match used to run a per-camera search, a masked
  search and a search per camera pair).
- approximate: inverted files with 4-bit product-quantised codes scanned by faiss's SIMD
  fast-scan (IVF-PQ), over the features projected by PCA when they are wide: one over the network
  asked for each tracklet's ``candidates`` nearest (the other-camera table), one per camera asked
  for three times as many (the own-camera table); every pair found is offered to both of its
  tracklets (reverse edges), and the candidates' exact distances in the full features decide the
  order. Measured on this 2-core machine (tools/bench_merge.py, 1,000,000 tracklets of synthetic
  features shaped like a learned model's on CUHK03; docs/association.md): recall@1 0.994 across
  cameras and 0.992 within in 428 s, where HNSW graphs found 0.734 / 0.920 in 449 s; IVF-Flat lists
  are memory-bound (9 GFLOP/s), and IVF blocks through BLAS found fewer for the same work.

On a GPU the exact search is fast enough at any size this project meets (a 1,000,000 x 512
self-join is about 5e14 multiply-adds), so ``auto`` stays exact there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from reid.neighbours.config import NeighbourConfig
from reid.neighbours.topk import RunningTopK, self_tiles, topk_neighbours
from tracklet_reid.errors import InputError

SMALL = 4096  # a camera (or network) this small is searched flat inside the approximate pass
TABLE_BLOCK = 65536  # rows of candidates sorted into tables at a time
OWN_CANDIDATES = 3  # a camera's index is asked this many times --candidates (see below)


@dataclass
class CameraNeighbours:
    """Each tracklet's nearest tracklets of its own camera (``within``) and of the other cameras
    (``across``): squared Euclidean distances ascending, global indices, -1 / inf padding."""

    within_d2: torch.Tensor  # (N, Kw)
    within_idx: torch.Tensor
    across_d2: torch.Tensor  # (N, Ka)
    across_idx: torch.Tensor
    method: str  # "exact" or "approximate"
    recall: dict | None = None  # approximate: recall@1 against exact on a sample (`measure_recall`)
    seconds: dict | None = None  # approximate: where the time went, stage by stage

    def summary(self) -> dict:
        return {"method": self.method, **(self.recall or {}), **({"seconds": self.seconds} if self.seconds else {})}

    def within_camera(self, rows: slice, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``k`` own-camera neighbours of the rows of one camera, in that camera's local
        indices (the camera's rows are ``rows`` of the global order)."""
        d2, idx = self.within_d2[rows, :k], self.within_idx[rows, :k]
        local = torch.where(idx >= 0, idx - rows.start, idx)
        return d2, local

    def mutual_across(self, camera_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distance, i, j) of every pair of tracklets in different cameras that are each other's
        nearest tracklet of the other's camera, as far as the ``across`` lists reach (i < j)."""
        idx = self.across_idx.cpu().numpy()
        d = self.across_d2.clamp_min(0).sqrt().cpu().numpy()
        n, k = idx.shape
        cams = np.asarray(camera_of)
        cam = np.where(idx >= 0, cams[idx.clip(0)], -1)
        # a neighbour is i's nearest of its camera when no earlier neighbour is of that camera
        earlier = np.tril(np.ones((k, k), bool), -1)
        first = (idx >= 0) & ~((cam[:, :, None] == cam[:, None, :]) & earlier[None]).any(2)
        i = np.repeat(np.arange(n), k)[first.ravel()]
        j = idx.ravel()[first.ravel()]
        dist = d.ravel()[first.ravel()]
        key, back = i.astype(np.int64) * n + j, j.astype(np.int64) * n + i
        mutual = np.isin(key, back, assume_unique=True) & (i < j)
        return dist[mutual], i[mutual], j[mutual]


def _nearest_distinct(cand: torch.Tensor, d2: torch.Tensor, keep: torch.Tensor,
                      k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest of each row's candidates (N, C) where ``keep``, each index once (the
    reverse edges repeat some): distances ascending, -1 / inf padding to ``k`` columns."""
    n = len(cand)
    idx, order = torch.sort(torch.where(keep, cand, torch.full_like(cand, -1)), dim=1)
    dup = torch.zeros_like(idx, dtype=torch.bool)
    dup[:, 1:] = idx[:, 1:] == idx[:, :-1]
    d = d2.gather(1, order).masked_fill(dup | (idx < 0), float("inf"))
    v, p = torch.topk(d, min(k, d.shape[1]), dim=1, largest=False, sorted=True)
    i = idx.gather(1, p)
    i[~torch.isfinite(v)] = -1
    if v.shape[1] < k:
        pad = k - v.shape[1]
        v = torch.cat([v, torch.full((n, pad), float("inf"), dtype=v.dtype)], 1)
        i = torch.cat([i, torch.full((n, pad), -1, dtype=i.dtype)], 1)
    return v, i


@torch.no_grad()
def exact_camera_neighbours(x: torch.Tensor, camera_of: np.ndarray, k_within: int, k_across: int,
                            tile: int = 2048) -> CameraNeighbours:
    """Both tables from one sweep of distance tiles (own-camera only: a search per camera, a
    T-th of the work)."""
    n = x.shape[0]
    if k_across == 0:
        cam_np = np.asarray(camera_of)
        wd = torch.full((n, k_within), float("inf"), device=x.device)
        wi = torch.full((n, k_within), -1, dtype=torch.long, device=x.device)
        for c in np.unique(cam_np):
            rows = torch.as_tensor(np.flatnonzero(cam_np == c), device=x.device)
            d, i = topk_neighbours(x[rows].float(), k_within, tile=tile)
            wd[rows, :d.shape[1]], wi[rows, :i.shape[1]] = d, torch.where(i >= 0, rows[i.clamp_min(0)], i)
        empty = torch.zeros(n, 0, device=x.device)
        return CameraNeighbours(wd, wi, empty, empty.long(), "exact")
    cams = torch.as_tensor(np.asarray(camera_of), device=x.device)
    within = RunningTopK(n, k_within, x.device)
    across = RunningTopK(n, k_across, x.device)
    for rows, cols, d in self_tiles(x.float(), tile):
        same = cams[rows][:, None] == cams[cols][None, :]
        for a, b, dd, ss in ((rows, cols, d, same), (cols, rows, d.T, same.T)):
            within.add(a, b, dd.masked_fill(~ss, float("inf")))
            across.add(a, b, dd.masked_fill(ss, float("inf")))
            if cols[0] == rows[0]:  # a diagonal tile holds both sides already
                break
    wd, wi = within.result()
    ad, ai = across.result()
    return CameraNeighbours(wd, wi, ad, ai, "exact")


def _faiss():
    try:
        import faiss
    except ImportError as e:  # it is a dependency; a broken install should say so plainly
        raise InputError(f"approximate neighbour search needs faiss (pip install faiss-cpu): {e}") from e
    return faiss


def _ivf_pq(faiss, g: np.ndarray, share: float, k: int) -> np.ndarray:
    """(len(g), k) approximate neighbours of every row of ``g`` among ``g`` (row indices, -1 for
    none): an inverted file of about 8 sqrt(n) lists with 4-bit product-quantised codes scanned
    by faiss's SIMD fast-scan, ``share`` of the lists per query."""
    n, d = g.shape
    if n <= SMALL:  # too few to train the quantisers on, and a flat scan costs nothing
        flat = faiss.IndexFlatL2(d)
        flat.add(g)
        return flat.search(g, min(n, k))[1]
    nlist = int(max(1, min(8 * np.sqrt(n), n // 39)))
    index = faiss.index_factory(d, f"IVF{nlist},PQ{d // 2 if d % 2 == 0 else d}x4fs")
    faiss.extract_index_ivf(index).cp.min_points_per_centroid = 1  # 20 per list is enough: no warning
    sample = np.random.default_rng(0).choice(n, min(n, 20 * nlist), replace=False)
    index.train(g[np.sort(sample)])
    index.add(g)
    index.nprobe = max(1, int(round(min(1.0, share) * nlist)))
    out = np.empty((n, min(n, k)), np.int64)
    for s in range(0, n, 1024):  # fast-scan holds a lookup table per query and list: in blocks
        out[s:s + 1024] = index.search(g[s:s + 1024], min(n, k))[1]
    return out


def _indexed_d2(faiss, f: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Exact squared distances from every row of ``f`` to the rows ``cand`` (N, C) names (-1: inf).
    faiss's indexed loop reads each candidate once; the same through torch's gather materialised
    (rows, C, D) blocks and took 15x longer (200,000 x 33 x 512-D: 14.5 s against 0.9 s)."""
    cand = np.ascontiguousarray(cand, dtype=np.int64)
    d2 = np.empty(cand.shape, np.float32)
    faiss.fvec_L2sqr_by_idx(faiss.swig_ptr(d2), faiss.swig_ptr(f), faiss.swig_ptr(f), faiss.swig_ptr(cand),
                            f.shape[1], len(cand), cand.shape[1])
    d2[cand < 0] = np.inf
    return d2


def _reverse_edges(cand: np.ndarray, d2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, k) the nearest rows whose candidates hold each row, with their distances (-1 / inf
    padding). Distances are symmetric but an inverted file's misses are not: j's search may
    scan the list holding i where i's search did not scan j's. Offering each found pair to both
    sides costs no distance (measured at 200,000: recall@1 0.957 -> 0.987 across cameras)."""
    n, c = cand.shape
    # one sort by (receiving row, distance): a non-negative float's bits order like the float, and
    # the sending row is the entry's place in the table (no array of it)
    key = torch.from_numpy(cand).view(-1).clone()
    key[key < 0] = n  # not found: after every row
    key <<= 32
    key |= torch.from_numpy(np.ascontiguousarray(d2, np.float32).view(np.int32)).view(-1)
    key, order = torch.sort(key)
    dst = (key >> 32).numpy()
    found = int(np.searchsorted(dst, n))
    dst, place = dst[:found], order[:found].numpy()
    rank = np.arange(found) - np.searchsorted(dst, np.arange(n))[dst]
    keep = rank < k
    dst, rank, place = dst[keep], rank[keep], place[keep]
    rev = np.full((n, k), -1, np.int64)
    rev_d2 = np.full((n, k), np.inf, np.float32)
    rev[dst, rank] = place // c
    rev_d2[dst, rank] = d2.reshape(-1)[place]
    return rev, rev_d2


@torch.no_grad()
def approximate_camera_neighbours(x: torch.Tensor, camera_of: np.ndarray, k_within: int, k_across: int,
                                  cfg: NeighbourConfig) -> CameraNeighbours:
    """IVF-PQ candidates (in a PCA projection when the features are wider than ``cfg.project_to``),
    offered to both sides of each pair found and ordered by their exact distance in the full
    features: other-camera ones from one index over the network, own-camera ones from an index per
    camera (in the network's index a camera's own tracklets are one in T of the candidates: too
    few to hold its K nearest)."""
    if k_within == 0 and k_across == 0:  # nothing asked: no index to build
        empty = torch.zeros(x.shape[0], 0, device=x.device)
        return CameraNeighbours(empty, empty.long(), empty, empty.long(), "approximate")
    faiss = _faiss()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        seconds[stage] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    f = np.ascontiguousarray(x.detach().float().cpu().numpy())
    n, dim = f.shape
    g = f
    if dim > cfg.project_to:
        pca = faiss.PCAMatrix(dim, cfg.project_to)
        sample = np.random.default_rng(0).choice(n, min(n, 100_000), replace=False)
        pca.train(f[np.sort(sample)])
        g = pca.apply(f)
        lap("projection")
    cams_np = np.asarray(camera_of)
    blocks = []
    if k_across > 0:
        blocks.append(_ivf_pq(faiss, g, cfg.probe_share, cfg.candidates + 1))
        lap("network index")
    if k_within > 0:
        # own-camera neighbours are mostly strangers at nearly equal distances, where the 4-bit
        # codes misorder most: three times the candidates and more of the lists (a camera's index
        # is a T-th of the network's). Measured at 200,000: 33 candidates at 30 % recall@1 0.965,
        # 64: 0.990; at 1,000,000 64 gave 0.986
        own = np.full((n, OWN_CANDIDATES * cfg.candidates), -1, np.int64)
        for c in np.unique(cams_np):
            rows = np.flatnonzero(cams_np == c)
            local = _ivf_pq(faiss, np.ascontiguousarray(g[rows]), cfg.own_probe_share,
                            OWN_CANDIDATES * cfg.candidates)
            own[rows, :local.shape[1]] = np.where(local >= 0, rows[local.clip(0)], -1)
        blocks.append(own)
        lap("camera indexes")
    cand = np.concatenate(blocks, 1)
    cand[cand == np.arange(n)[:, None]] = -1  # the query itself
    d2 = _indexed_d2(faiss, f, cand)
    lap("exact distances")
    if cfg.reverse > 0:
        rev, rev_d2 = _reverse_edges(cand, d2, cfg.reverse)
        cand, d2 = np.concatenate([cand, rev], 1), np.concatenate([d2, rev_d2], 1)
        lap("reverse edges")
    cams_t = torch.as_tensor(cams_np)
    tables: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {"within": [], "across": []}
    for s in range(0, n, TABLE_BLOCK):  # sorting (N, C) at once would hold several copies of it
        cand_t, d2_t = torch.from_numpy(cand[s:s + TABLE_BLOCK]), torch.from_numpy(d2[s:s + TABLE_BLOCK])
        own_cam = cams_t[cand_t.clamp_min(0)] == cams_t[s:s + TABLE_BLOCK, None]
        for name, keep, k in (("within", own_cam, k_within), ("across", ~own_cam, k_across)):
            if k > 0:  # a table nobody asked for is not sorted
                tables[name].append(_nearest_distinct(cand_t, d2_t, keep, k))
    no_table = (torch.zeros(n, 0), torch.zeros(n, 0, dtype=torch.long))
    (wd, wi), (ad, ai) = ((torch.cat([t[0] for t in v]), torch.cat([t[1] for t in v])) if v else no_table
                          for v in tables.values())
    lap("tables")
    dev = x.device
    return CameraNeighbours(wd.to(dev), wi.to(dev), ad.to(dev), ai.to(dev), "approximate", seconds=seconds)


def camera_neighbours(features: torch.Tensor, camera_of: np.ndarray, k_within: int, k_across: int,
                      cfg: NeighbourConfig = NeighbourConfig()) -> CameraNeighbours:
    """Own-camera and other-camera neighbour tables of every row of ``features`` (N, D)."""
    cfg.validate()
    n = features.shape[0]
    exact = cfg.method == "exact" or (cfg.method == "auto" and (n < cfg.exact_below or features.is_cuda))
    if exact or n < 2:
        return exact_camera_neighbours(features, camera_of, k_within, k_across)
    table = approximate_camera_neighbours(features, camera_of, k_within, k_across, cfg)
    if cfg.recall_sample > 0:
        table.recall = measure_recall(features, camera_of, table, cfg.recall_sample)
    return table


@torch.no_grad()
def measure_recall(features: torch.Tensor, camera_of: np.ndarray, table: CameraNeighbours, sample: int,
                   seed: int = 0, block: int = 65536) -> dict:
    """Recall@1 of ``table`` against exact search, on ``sample`` random tracklets: the share whose
    nearest own-camera (and other-camera) tracklet the table has first (a tie in distance counts).
    The exact search runs over blocks of columns: never a sample x N matrix."""
    n = features.shape[0]
    x = features.float()
    dev = x.device
    rows = torch.as_tensor(np.sort(np.random.default_rng(seed).choice(n, min(sample, n), replace=False)), device=dev)
    cams = torch.as_tensor(np.asarray(camera_of), device=dev)
    at = torch.arange(len(rows), device=dev)
    best = {"within": RunningTopK(len(rows), 1, dev), "across": RunningTopK(len(rows), 1, dev)}
    for s in range(0, n, block):
        cols = torch.arange(s, min(s + block, n), device=dev)
        d = torch.cdist(x[rows], x[cols]).pow_(2)
        d[rows[:, None] == cols[None, :]] = float("inf")
        same = cams[rows][:, None] == cams[cols][None, :]
        best["within"].add(at, cols, d.masked_fill(~same, float("inf")))
        best["across"].add(at, cols, d.masked_fill(same, float("inf")))
    out: dict = {"sample": int(len(rows))}
    for name, got in (("within", table.within_idx), ("across", table.across_idx)):
        if got.shape[1] == 0:  # this pass did not look for these neighbours
            continue
        best_d, best_i = (t[:, 0] for t in best[name].result())
        has = best_i >= 0
        if not has.any():
            out[f"recall1_{name}"] = None
            continue
        mine = got[rows, 0].to(dev)

        def direct(j: torch.Tensor) -> torch.Tensor:  # without the matrix-product rounding of cdist
            return (x[j.clamp_min(0)] - x[rows]).pow(2).sum(1).masked_fill(j < 0, float("inf"))

        found = (mine == best_i) | (direct(mine) <= direct(best_i) * (1 + 1e-6))
        out[f"recall1_{name}"] = float(found[has].float().mean())
    return out
