"""The UTAL network: backbone -> global average pooling -> shared 2048-D embedding -> one
classifier per camera (per-camera tracklet discrimination, PCTD)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reid.backbones import build_backbone


@dataclass(frozen=True)
class ModelConfig:
    backbone: str = "resnet50"
    pretrained: str | None = "imagenet"
    embed_dim: int = 2048


class Embedder(nn.Module):
    """Image -> embedding. The part that is exported and used at test time.

    The embedding is a fully connected layer followed by batch norm: the paper specifies the FC
    layer only; the BN keeps the scale of the features (and so the meaning of lambda and sigma)
    stable across backbones whose trunks output very different magnitudes.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.trunk, channels = build_backbone(cfg.backbone, cfg.pretrained)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, cfg.embed_dim)
        self.bn = nn.BatchNorm1d(cfg.embed_dim)
        nn.init.kaiming_normal_(self.fc.weight, mode="fan_out")
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.pool(self.trunk(x)).flatten(1)
        return self.bn(self.fc(f))


class UTALNet(nn.Module):
    def __init__(self, cfg: ModelConfig, classes_per_camera: list[int], single_task: bool = False):
        """``single_task``: the STC ablation, one classifier over all cameras' labels concatenated."""
        super().__init__()
        self.embedder = Embedder(cfg)
        self.single_task = single_task
        sizes = [sum(classes_per_camera)] if single_task else list(classes_per_camera)
        self.heads = nn.ModuleList(nn.Linear(cfg.embed_dim, n, bias=False) for n in sizes)
        for h in self.heads:
            assert isinstance(h, nn.Linear)
            nn.init.normal_(h.weight, std=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedder(x)
