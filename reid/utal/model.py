"""The UTAL network: backbone -> global average pooling -> shared 2048-D embedding -> one
classifier per camera (per-camera tracklet discrimination, PCTD)."""
from __future__ import annotations

import torch
from torch import nn

from reid.models.network import Embedder, ModelConfig


class UTALNet(nn.Module):
    def __init__(self, cfg: ModelConfig, classes_per_camera: list[int], single_task: bool = False):
        """``single_task``: the STC ablation, one classifier over all cameras' labels concatenated."""
        super().__init__()
        self.embedder = Embedder(cfg)
        self.single_task = single_task
        sizes = [sum(classes_per_camera)] if single_task else list(classes_per_camera)
        self.heads = nn.ModuleList(nn.Linear(self.embedder.dim, n, bias=False) for n in sizes)
        for h in self.heads:
            assert isinstance(h, nn.Linear)
            nn.init.normal_(h.weight, std=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedder(x)
