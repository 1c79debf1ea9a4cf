"""Deployment formats of a learned embedding model, kept apart from training."""
from __future__ import annotations

from pathlib import Path

import torch


def export_torchscript(embedder: torch.nn.Module, input_hw: tuple[int, int], path: Path) -> Path:
    """The embedding model alone, traced, for deployment without this package."""
    import copy
    import warnings

    m = copy.deepcopy(embedder).cpu().eval().to(memory_format=torch.contiguous_format)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # jit is deprecated but still the one portable format
        traced = torch.jit.trace(m, torch.zeros(2, 3, *input_hw))
    traced.save(str(path))
    return path
