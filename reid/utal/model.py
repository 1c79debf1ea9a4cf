"""The UTAL network: backbone -> global average pooling -> shared 2048-D embedding -> one
classifier per camera (per-camera tracklet discrimination, PCTD)."""
from __future__ import annotations

import torch
from torch import nn

from reid.models.network import Embedder, ModelConfig

# imprinted classifiers' softmax temperature at the start (CAP's 0.07 is for unit vectors and
# proxies that move; the rows here train freely, so a milder start)
IMPRINT_TEMPERATURE = 0.1


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

    @torch.no_grad()
    def imprint_heads(self, memory: torch.Tensor, temperature: float = IMPRINT_TEMPERATURE) -> None:
        """Each class row set to its tracklet's memory vector (rows follow the training index, whose
        cameras are contiguous), scaled so that a frame's first logits are its cosine to each of its
        camera's tracklets over ``temperature``. The paper does not say how the classifiers start;
        random rows send random gradients into a pretrained trunk for the first epochs, while
        imprinted rows start PCTD where the memory already is (docs/utal.md, measured)."""
        m = memory.float()
        scale = 1.0 / (temperature * float(m.norm(dim=1).mean()) ** 2)
        weights = [h.weight for h in self.heads if isinstance(h, nn.Linear)]
        for w, r in zip(weights, (m * scale).split([int(w.shape[0]) for w in weights])):
            w.copy_(r.to(w.device, w.dtype))
