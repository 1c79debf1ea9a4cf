"""UTAL losses: per-camera soft cross-entropy (PCTD, Eqs. 7-8) and cross-camera tracklet
association (CCTA, Eq. 10)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pctd_loss(embeddings: torch.Tensor, heads, cameras: torch.Tensor, label_index: torch.Tensor,
              label_weight: torch.Tensor, head_of_camera=None) -> torch.Tensor:
    """Sum over the batch's frames of the cross-entropy between the frame's camera branch softmax and
    its tracklet's soft label, divided by the batch size.

    ``label_index``/``label_weight`` (B, K+1) are the frames' tracklets' soft label rows;
    ``head_of_camera(t)`` maps a camera to its classifier (default ``heads[t]``; the single-task
    ablation maps every camera to one head with shifted label indices).
    """
    total = embeddings.new_zeros(())
    for t in cameras.unique().tolist():
        sel = cameras == t
        head = heads[t] if head_of_camera is None else head_of_camera(t)
        logp = F.log_softmax(head(embeddings[sel]).float(), dim=1)
        total = total - (label_weight[sel] * logp.gather(1, label_index[sel])).sum()
    return total / embeddings.shape[0]


def ccta_loss(embeddings: torch.Tensor, tracklets: torch.Tensor, matches: torch.Tensor,
              memory: torch.Tensor, normalize: bool = True, distance: str = "squared") -> tuple[torch.Tensor, int]:
    """Eq. 10: the distance between each batch tracklet's mean embedding (with gradient) and the
    memory vectors of its cross-camera matches (constants), summed over its matches as the
    equation's sum over R(i) does (one match in the reciprocal mode; k in the 2-way k-NN ablation);
    summed over tracklets with a match and divided by the number of tracklets in the batch.

    ``distance``: squared (the squared Euclidean distance, the spec's reading) or l2 (the plain
    norm, as Eq. 10 is printed); ``normalize`` L2-normalises both sides first. Both choices and
    their measurements are in docs/utal.md. Returns (loss, tracklets with a match).
    """
    uniq, inv = torch.unique(tracklets, return_inverse=True)
    sums = torch.zeros(len(uniq), embeddings.shape[1], device=embeddings.device, dtype=torch.float32)
    sums = sums.index_add(0, inv, embeddings.float())
    counts = torch.bincount(inv, minlength=len(uniq)).clamp_min(1).unsqueeze(1)
    mean = sums / counts
    m = matches.to(embeddings.device)[uniq]  # (U, k)
    valid = m >= 0
    if not valid.any():
        return embeddings.sum() * 0.0, 0
    target = memory.to(embeddings.device)[m.clamp_min(0)].detach()  # (U, k, D)
    f = mean.unsqueeze(1)
    if normalize:
        f = F.normalize(f, dim=-1)
        target = F.normalize(target, dim=-1)
    d2 = ((f - target) ** 2).sum(-1)  # (U, k)
    # the norm's gradient is undefined at 0: a small floor keeps a pair that already coincides finite
    d = d2 if distance == "squared" else (d2 + 1e-12).sqrt()
    per = (d * valid).sum(1)
    has = valid.any(1)
    return per[has].sum() / len(uniq), int(has.sum())
