"""Any OpenVINO IR re-id embedder as a model (`--model X.xml`): Intel's Open Model Zoo re-id models
(person-reidentification-retail-0277, -0288, ...) are the strongest a user can download here
(../shared/data/README.md: 0277 R1 0.618 / mAP 0.636 on CUHK03 against OSNet x0_25's 0.307 /
0.310), and they come as IR only: no PyTorch weights, so they are used frozen.

Input convention of the Open Model Zoo: N x 3 x H x W, BGR, 0-255 floats, no normalisation (mean
and std are inside the graph); RGB input costs 0277 about 0.19 R1. `--pixel-scale` changes the
scale for a graph made otherwise; the channel order stays BGR. The graphs are fixed at batch 1;
they are reshaped to a dynamic batch on load (one call per batch), else run image by image.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from tracklet_reid.errors import InputError
from tracklet_reid.openvino_read import read_ir, read_ir_bytes


class OpenVinoEmbedder(nn.Module):
    """An IR graph (N, 3, H, W) BGR 0-255 -> (N, D), run by OpenVINO on the CPU."""

    def __init__(self, path: str | Path, scale: str = "255", threads: int | None = None,
                 graph: tuple[bytes, bytes] | None = None):
        """``graph``: the .xml and .bin contents (a site adapter's model file carries them), read
        instead of ``path``, which then only names them."""
        super().__init__()
        if graph is None:
            core, net = read_ir(path, "an OpenVINO re-id model", "MODEL.xml")
        else:
            core, net = read_ir_bytes(*graph, str(path))
        self.path = Path(path)
        if len(net.inputs) != 1 or len(net.inputs[0].partial_shape) != 4:
            raise InputError(f"{path}: expected one image input N x 3 x H x W, found "
                             f"{[str(i.partial_shape) for i in net.inputs]}")
        shape = net.inputs[0].partial_shape
        h, w = shape[2], shape[3]
        self.graph_hw = (int(h.get_length()), int(w.get_length())) if h.is_static and w.is_static else None
        hw = self.graph_hw or (256, 128)
        self.batched = True
        try:
            net.reshape([-1, 3, *hw])
        except Exception:  # a graph that cannot take another batch: images go one at a time
            self.batched = False
        config = {"INFERENCE_NUM_THREADS": int(threads)} if threads else {}
        self._compiled = core.compile_model(net, "CPU", config)
        self._request = self._compiled.create_infer_request()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from reid.models.pixels import denormalize_batch

        if self.scale != "imagenet":
            x = denormalize_batch(x) * (255.0 if self.scale == "255" else 1.0)
        arr = np.ascontiguousarray(x.detach().float().cpu().numpy()[:, ::-1])  # RGB -> BGR
        parts = [arr] if self.batched else [arr[i:i + 1] for i in range(len(arr))]
        out = [np.asarray(next(iter(self._request.infer({0: p}).values())), np.float32).reshape(len(p), -1)
               for p in parts]
        return torch.from_numpy(np.concatenate(out) if out else np.zeros((0, 0), np.float32))
