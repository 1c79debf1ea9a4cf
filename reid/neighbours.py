"""Chunked nearest-neighbour search on feature rows: top-k by Euclidean distance without ever
holding an N x N matrix (a (chunk x N) block at a time)."""
from __future__ import annotations

import torch


def chunk_rows(n_rows: int, n_cols: int, budget: int = 1 << 25) -> int:
    return max(1, min(n_rows, budget // max(n_cols, 1)))


@torch.no_grad()
def topk_neighbours(x: torch.Tensor, k: int, y: torch.Tensor | None = None, exclude_self: bool = True,
                    block_mask=None) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``x``, the ``k`` nearest rows of ``y`` (default ``x``) by squared Euclidean
    distance: (distances (n, k), indices (n, k)). ``exclude_self`` drops the diagonal when y is x.
    ``block_mask(rows) -> bool (len(rows), n_y)`` marks pairs to ignore (e.g. same camera)."""
    y = x if y is None else y
    same = y is x
    n, m = x.shape[0], y.shape[0]
    k = min(k, m - (1 if same and exclude_self else 0))
    if k <= 0:
        return torch.zeros(n, 0, device=x.device), torch.zeros(n, 0, dtype=torch.long, device=x.device)
    y2 = (y * y).sum(1)
    out_d, out_i = [], []
    step = chunk_rows(n, m)
    for s in range(0, n, step):
        xb = x[s:s + step]
        d = (xb * xb).sum(1, keepdim=True) + y2[None] - 2.0 * xb @ y.T
        d.clamp_min_(0)
        if same and exclude_self:
            r = torch.arange(s, s + xb.shape[0], device=x.device)
            d[torch.arange(xb.shape[0], device=x.device), r] = float("inf")
        if block_mask is not None:
            d[block_mask(torch.arange(s, s + xb.shape[0], device=x.device))] = float("inf")
        dv, di = torch.topk(d, k, dim=1, largest=False)
        out_d.append(dv)
        out_i.append(di)
    return torch.cat(out_d), torch.cat(out_i)
