"""Camera-aware proxies and their two contrastive losses (CAP: Wang et al., "Camera-aware Proxies
for Unsupervised Person Re-Identification", AAAI 2021), on tracklets.

An identity (a cluster of tracklets, clusters.py) seen by several cameras has one proxy per camera:
the mean of its tracklets' memory features in that camera. A frame is pulled to its own camera's
proxy against the other proxies of that camera (intra-camera: within a view, each identity is
told apart from its neighbours, as UTAL's per-camera classifiers do, but against a memory instead
of a classifier) and to its identity's proxies in every camera against the hardest proxies of
other identities (inter-camera: the views are pulled together without a camera's own look
deciding who is near). Written from the paper; proxies move with the momentum the paper uses.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class CameraProxies:
    features: torch.Tensor  # (P, D) L2-normalised
    cluster: torch.Tensor  # (P,) identity of each proxy
    camera: torch.Tensor  # (P,) camera of each proxy
    of_tracklet: torch.Tensor  # (N,) proxy of each tracklet
    momentum: float = 0.2

    @classmethod
    def build(cls, memory: torch.Tensor, clusters: np.ndarray, camera_of: np.ndarray,
              momentum: float = 0.2) -> "CameraProxies":
        """One proxy per (identity, camera) present: the mean of its tracklets' normalised memory rows."""
        dev = memory.device
        cl = torch.as_tensor(np.asarray(clusters), device=dev, dtype=torch.long)
        cam = torch.as_tensor(np.asarray(camera_of), device=dev, dtype=torch.long)
        n_cams = int(cam.max().item()) + 1 if len(cam) else 1
        keys, of_tracklet = torch.unique(cl * n_cams + cam, return_inverse=True)
        feats = torch.zeros(len(keys), memory.shape[1], device=dev).index_add_(0, of_tracklet,
                                                                               F.normalize(memory.float(), dim=1))
        return cls(F.normalize(feats, dim=1), keys // n_cams, keys % n_cams, of_tracklet, momentum)

    def to(self, device: torch.device | str) -> "CameraProxies":
        return CameraProxies(self.features.to(device), self.cluster.to(device), self.camera.to(device),
                             self.of_tracklet.to(device), self.momentum)

    @functools.cached_property
    def multi_camera(self) -> torch.Tensor:
        """(P,) whether the proxy's identity has proxies in two or more cameras (fixed for the epoch:
        worked out once, not at every batch's inter-camera loss)."""
        counts = torch.bincount(self.cluster, minlength=int(self.cluster.max().item()) + 1 if len(self.cluster) else 0)
        return counts[self.cluster] > 1

    def intra_loss(self, emb: torch.Tensor, tracklets: torch.Tensor, cameras: torch.Tensor,
                   temperature: float) -> torch.Tensor:
        """Mean over frames of the cross-entropy of the frame's own proxy among its camera's proxies."""
        f = F.normalize(emb.float(), dim=1)
        total = f.new_zeros(())
        own = self.of_tracklet[tracklets]
        for t in cameras.unique().tolist():
            sel = cameras == t
            cols = torch.nonzero(self.camera == t).squeeze(1)
            position = torch.full((len(self.camera),), -1, dtype=torch.long, device=f.device)
            position[cols] = torch.arange(len(cols), device=f.device)
            logits = f[sel] @ self.features[cols].T / temperature
            total = total + F.cross_entropy(logits, position[own[sel]], reduction="sum")
        return total / emb.shape[0]

    def inter_loss(self, emb: torch.Tensor, tracklets: torch.Tensor, temperature: float,
                   hard_negatives: int) -> tuple[torch.Tensor, int]:
        """CAP's inter-camera loss for frames whose identity spans cameras: the mean over the
        identity's proxies of -log(exp(s_p) / (sum over its proxies + the ``hard_negatives``
        most similar proxies of other identities)). Returns (loss over the batch's frames, frames used)."""
        own = self.of_tracklet[tracklets]
        use = self.multi_camera[own]
        if not bool(use.any()):
            return emb.sum() * 0.0, 0
        f = F.normalize(emb[use].float(), dim=1)
        sims = f @ self.features.T / temperature  # (B', P)
        positive = self.cluster[None, :] == self.cluster[own[use]][:, None]
        neg = sims.masked_fill(positive, float("-inf"))
        h = min(hard_negatives, int((~positive).sum(1).min().item()))
        hard = torch.topk(neg, h, dim=1).values if h > 0 else sims[:, :0]
        pos = sims.masked_fill(~positive, float("-inf"))
        denominator = torch.logsumexp(torch.cat([pos, hard], 1), dim=1, keepdim=True)
        logp = (sims - denominator).masked_fill(~positive, 0.0)
        per_frame = -(logp.sum(1) / positive.sum(1))
        return per_frame.sum() / emb.shape[0], int(use.sum())

    @torch.no_grad()
    def update(self, tracklets: torch.Tensor, emb: torch.Tensor) -> None:
        """p <- normalise(m p + (1 - m) mean f) for each proxy over the batch's frames of it (CAP's
        momentum update, once per proxy and batch rather than once per frame)."""
        f = F.normalize(emb.detach().float(), dim=1)
        uniq, inv = torch.unique(self.of_tracklet[tracklets], return_inverse=True)
        sums = torch.zeros(len(uniq), f.shape[1], device=f.device).index_add_(0, inv, f)
        mean = sums / torch.bincount(inv, minlength=len(uniq)).clamp_min(1).unsqueeze(1)
        self.features[uniq] = F.normalize(self.momentum * self.features[uniq] + (1 - self.momentum) * mean, dim=1)
