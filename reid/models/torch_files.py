"""Reading and writing torch files safely.

Reading: ``weights_only=True`` always. A pickle can name any Python callable, so a model file from
elsewhere could run code when loaded; tensors, containers and plain values are all we store.
Writing: into a temporary file beside the target, renamed over it only when complete, so that a
kill or a full disk never leaves a half-written model or checkpoint (and never a stray temp file).
"""
from __future__ import annotations

import os
from pathlib import Path

from tracklet_reid.errors import InputError
from tracklet_reid.output_paths import ensure_free_space, io_error_line, is_disk_full

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def load_torch_file(path: Path, what: str):
    """torch.load with ``weights_only=True``; a file that needs more is refused in one line."""
    import pickle

    import torch

    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        head = b""  # torch.load below says what is wrong with it
    if head == HDF5_SIGNATURE:  # the arguments swapped: a store where the model goes
        raise InputError(f"{path}: a tracklet store (HDF5), not a {what}: give the store first and the model "
                             "after --model")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(f"{path}: this {what} holds Python objects other than tensors; refused, since "
                         "loading them could run code (only tensor files are read)") from None
    except Exception as exc:
        raise InputError(f"{path}: not a readable {what} ({type(exc).__name__})") from None


def save_torch_file(obj: object, path: Path) -> None:
    """torch.save, atomically; a failed write removes its temporary file and says why in one line."""
    import torch

    tmp = path.with_name(path.name + ".tmp")
    ensure_free_space(path)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:
        tmp.unlink(missing_ok=True)
        # torch.save reports a full disk as a RuntimeError ("file write failed"); others are ours to raise
        if isinstance(exc, OSError) or is_disk_full(exc, path):
            raise InputError(io_error_line(exc, path)) from None
        raise
