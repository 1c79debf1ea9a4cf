"""Whether a file is a tracklet store and whether its data is whole: opening with one-line
errors, the schema check, per-camera checksums, and the cheap consistency check every read runs."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from tracking.store.schema import SCHEMA_NAME, SCHEMA_VERSION, CameraData, StoreInfo
from tracklet_reid.errors import StoreError


def open_h5(path: Path, mode: str) -> h5py.File:
    """Open an HDF5 file, turning h5py's multi-line OSErrors into one line naming the file."""
    if mode == "r" and not path.exists():
        raise StoreError(f"{path}: no such file")
    if mode == "r" and path.is_dir():
        raise StoreError(f"{path}: is a folder, not a tracklet store")
    try:
        return h5py.File(path, mode)
    except OSError as exc:
        text = str(exc)
        if "truncated file" in text:
            why = "truncated HDF5 file (an interrupted copy or write?)"
        elif "file signature not found" in text:
            why = "not an HDF5 file"
        elif "unable to lock file" in text or "already open" in text:
            why = "locked by another process that is writing it"
        else:
            why = "unreadable HDF5 file (" + text.splitlines()[0].strip() + ")"
        raise StoreError(f"{path}: {why}") from None


def check_schema(path: Path, f: h5py.File) -> None:
    name = f.attrs.get("schema")
    if isinstance(name, bytes):
        name = name.decode()
    if name is None and "cameras" in f:
        raise StoreError(f"{path}: damaged tracklet store: its schema attributes are missing")
    if name != SCHEMA_NAME:
        raise StoreError(f"{path}: HDF5 file of another kind (schema {name!r}), not a tracklet store")
    version = int(f.attrs.get("version", -1))
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: tracklet store schema version {version} is newer than this program reads "
            f"({SCHEMA_VERSION}); upgrade tracklet-reid"
        )
    if version < 1:
        raise StoreError(f"{path}: tracklet store with invalid schema version {version}")


def group_bytes(group: h5py.Group) -> int:
    return sum(int(ds.id.get_storage_size()) for ds in group.values() if isinstance(ds, h5py.Dataset))


def camera_checksum(group: h5py.Group) -> str:
    """SHA-256 over a camera's datasets (name, shape, dtype and bytes, in name order), read in
    slabs of about 64 MB: a flipped byte anywhere in its crops or tables changes it."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(group):
        ds = group[name]
        if not isinstance(ds, h5py.Dataset):
            continue
        h.update(f"{name}|{ds.shape}|{ds.dtype.str}|".encode())
        if ds.shape and ds.shape[0]:
            row_bytes = max(ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64)), 1)
            step = max(1, (64 << 20) // row_bytes)
            for a in range(0, ds.shape[0], step):
                h.update(np.ascontiguousarray(ds[a:a + step]).tobytes())
        elif not ds.shape:
            h.update(np.asarray(ds[()]).tobytes())
    return "sha256:" + h.hexdigest()


def inconsistency(c: CameraData, g: h5py.Group, info: StoreInfo) -> str | None:
    """What makes a camera's tables disagree with each other, or None. Cheap (the tables are in
    memory already) and run on every read, so a damaged count or offset is one clear line instead
    of an IndexError deep in a training loop."""
    n_crops, t = c.num_crops, c.tracklets
    if len(c.crop_box) != n_crops or len(c.crop_score) != n_crops:
        return f"{n_crops} crop frames but {len(c.crop_box)} boxes and {len(c.crop_score)} scores"
    if c.gt_identity is not None and len(c.gt_identity) != len(t):
        return f"{len(t)} tracklets but {len(c.gt_identity)} identity labels"
    for name in ("first_time", "last_time", "entry", "exit", "forgotten"):
        if name in g and g[name].shape[0] != len(t):
            return f"{len(t)} tracklets but {g[name].shape[0]} values of {name}"
    if len(t):
        start, count = t["start"].astype(np.int64), t["count"].astype(np.int64)
        tomb = c.forgotten if c.forgotten is not None and len(c.forgotten) == len(t) else np.zeros(len(t), bool)
        bad = np.flatnonzero((start < 0) | ((count < 1) & ~tomb) | (start + count > n_crops))
        if len(bad):
            k = int(bad[0])
            return (f"tracklet {k} claims crops {int(start[k])}..{int(start[k] + count[k] - 1)} of "
                    f"{n_crops} ({len(bad)} such tracklet(s))")
        if (t["last_frame"] < t["first_frame"]).any():
            return "a tracklet ends before it starts"
    if info.encoding == "jpeg":
        off = g["crop_offset"]
        if off.shape[0] != n_crops + 1:
            return f"{off.shape[0]} crop offsets for {n_crops} crops"
        o = off[:]
        if o[0] != 0 or (np.diff(o) <= 0).any() or o[-1] > g["crops"].shape[0]:
            return "crop offsets out of order or past the end of the crop data"
    elif g["crops"].shape[0] != n_crops:
        return f"{g['crops'].shape[0]} crops stored for {n_crops} crop frames"
    return None
