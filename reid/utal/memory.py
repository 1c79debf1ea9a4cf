"""Tracklet memory (UTAL Eq. 3): one running feature per tracklet, updated from each batch."""
from __future__ import annotations

import torch


class TrackletMemory:
    def __init__(self, features: torch.Tensor, alpha: float = 1.0):
        """``features`` (N, D): initial memory, one row per tracklet (global index over cameras)."""
        self.s = features.detach().clone().float()
        self.alpha = float(alpha)

    @torch.no_grad()
    def update(self, tracklets: torch.Tensor, feats: torch.Tensor) -> None:
        """s_i <- (s_i + alpha * mean_k x_k) / (1 + alpha) for every tracklet i in the batch,
        with x_k its frames' current embeddings (no gradient into the memory)."""
        feats = feats.detach().float().to(self.s.device)
        tracklets = tracklets.to(self.s.device)
        uniq, inv = torch.unique(tracklets, return_inverse=True)
        sums = torch.zeros(len(uniq), feats.shape[1], device=feats.device).index_add_(0, inv, feats)
        counts = torch.bincount(inv, minlength=len(uniq)).clamp_min(1).unsqueeze(1).float()
        self.s[uniq] = (self.s[uniq] + self.alpha * sums / counts) / (1.0 + self.alpha)

    def state_dict(self) -> dict:
        return {"s": self.s.cpu(), "alpha": self.alpha}

    @classmethod
    def from_state(cls, state: dict, device: torch.device | str = "cpu") -> "TrackletMemory":
        m = cls(state["s"].to(device), state["alpha"])
        return m
