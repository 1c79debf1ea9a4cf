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
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # check_export tests what they warn about
        traced = torch.jit.trace(m, torch.zeros(2, 3, *input_hw))
    traced.save(str(path))
    return path


def check_export(embedder: torch.nn.Module, input_hw: tuple[int, int], path: Path, atol: float = 1e-4) -> None:
    """The exported file gives the torch model's output on a batch size it was not traced with
    (tracing can freeze a batch size into a graph); raises ValueError when it does not."""
    import copy
    import warnings

    m = copy.deepcopy(embedder).cpu().eval()
    x = torch.randn(3, 3, *input_hw, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = m(x).numpy()
        if path.suffix == ".onnx":
            import onnxruntime as ort

            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            got = session.run(None, {"images": x.numpy()})[0]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                got = torch.jit.load(str(path))(x).numpy()
    diff = float(abs(got - want).max())
    if diff > atol * max(1.0, float(abs(want).max())):
        raise ValueError(f"the exported model differs from the torch model by {diff:.2g} on a batch of 3")
