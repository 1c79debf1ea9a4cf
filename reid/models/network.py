"""Our embedder: backbone -> global average pooling -> FC -> BN (the 2048-D embedding of UTAL),
or a downloaded ONNX re-id model converted to torch. The part that is exported and used at test
time; a learner adds its own heads around it (UTAL: `reid/utal/model.py`)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reid.models.backbones import build_backbone


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

    def __init__(self, cfg: ModelConfig, onnx_graph: bytes | None = None):
        """``cfg.backbone == "onnx"``: a downloaded re-id embedder (``cfg.pretrained`` names its
        .onnx file, or ``onnx_graph`` holds its bytes) converted to torch and trained as a whole;
        its own output is the embedding, so training starts from the space it was trained for."""
        super().__init__()
        self.onnx_graph: bytes | None = None
        if cfg.backbone == ONNX_BACKBONE:
            from reid.models.onnx_model import onnx_to_torch

            if onnx_graph is None:
                onnx_graph = _read_graph(cfg.pretrained)
            self.onnx_graph = onnx_graph
            self.graph = onnx_to_torch(onnx_graph)
            self.dim = int(_output_dim(self.graph, onnx_graph))
            return
        self.trunk, channels = build_backbone(cfg.backbone, cfg.pretrained)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, cfg.embed_dim)
        self.bn = nn.BatchNorm1d(cfg.embed_dim)
        self.dim = cfg.embed_dim
        nn.init.kaiming_normal_(self.fc.weight, mode="fan_out")
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.onnx_graph is not None:
            return self.graph(x)
        f = self.pool(self.trunk(x)).flatten(1)
        return self.bn(self.fc(f))


ONNX_BACKBONE = "onnx"


def _read_graph(path: str | None) -> bytes:
    from pathlib import Path

    from tracklet_reid.errors import InputError

    if not path or not Path(path).is_file():
        raise InputError(f"{path}: no such ONNX model")
    return Path(path).read_bytes()


def _output_dim(graph: nn.Module, onnx_graph: bytes) -> int:
    """The embedding size the graph declares (else measured on one dummy image)."""
    import onnx

    out = onnx.load_from_string(onnx_graph).graph.output[0].type.tensor_type.shape.dim
    if len(out) == 2 and out[1].HasField("dim_value"):
        return out[1].dim_value
    with torch.no_grad():
        return int(graph.eval()(torch.zeros(2, 3, 256, 128)).shape[1])
