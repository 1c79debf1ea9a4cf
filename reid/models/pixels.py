"""Pixels in, the ImageNet scaling every torchvision and torchreid backbone expects, and back: one
module both our embedder and an ONNX one read (it imports no model code)."""
from __future__ import annotations

import numpy as np
import torch

# ImageNet statistics: every torchvision and torchreid backbone expects inputs scaled with them
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def normalize_batch(x: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> normalised float (B, 3, H, W) in channels_last layout (a view of the
    HWC data, no copy), on ``device``: one vectorised step instead of per-image float work."""
    x = x.to(device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.as_tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.as_tensor(STD, device=x.device).view(1, 3, 1, 1)
    return x.sub_(mean).div_(std).contiguous(memory_format=torch.channels_last)


def denormalize_batch(x: torch.Tensor) -> torch.Tensor:
    """The inverse of `normalize_batch`'s scaling: normalised (B, 3, H, W) -> RGB in 0-1."""
    mean = torch.as_tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.as_tensor(STD, device=x.device).view(1, 3, 1, 1)
    return x * std + mean
