"""What a tracklet store holds (schema version 2, docs/tracklet-store.md): its name and version,
the per-tracklet table, time and place per tracklet, the crop formats, and the attribute
conventions readers and writers share."""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from tracklet_reid.errors import StoreError

if TYPE_CHECKING:
    import h5py

SCHEMA_NAME = "tracklet-reid/store"
SCHEMA_VERSION = 2
# Version 2 adds time and place per tracklet, written when a camera has a clock (its fps): the first
# and last time in seconds on the network's clock (the camera's start_time + frame / fps) and the
# box's foot (centre x, bottom y, normalised by the frame size) at the first and last crop. Version
# 1 stores open unchanged; their times are derived on reading where the camera has a frame rate.
TIME_COLUMNS = ("first_time", "last_time")
# (M,) bool, where `pipeline forget` removed a tracklet: its row stays (count 0, no crops) so that
# every other tracklet keeps its number; readers skip it
FORGOTTEN = "forgotten"
PLACE_COLUMNS = ("entry", "exit")
ENCODINGS = ("jpeg", "raw")
DEFAULT_CROP_HW = (256, 128)
DEFAULT_JPEG_QUALITY = 90
_BYTES_CHUNK = 1 << 16
CHECKSUM_ATTR = "checksum"

TRACKLET_DTYPE = np.dtype(
    [
        ("start", np.int64),  # offset of the first crop in the camera's crop arrays
        ("count", np.int32),
        ("first_frame", np.int32),
        ("last_frame", np.int32),
        ("track_id", np.int32),  # id the tracker gave (or the source's tracklet id)
    ]
)


def created_by() -> str:
    try:
        from importlib.metadata import version

        return f"tracklet-reid {version('tracklet-reid')}"
    except Exception:  # not installed (running from a checkout)
        return "tracklet-reid"


class TrackletSet(IntEnum):
    """The optional per-tracklet `tracklet_set` column of benchmark stores (absent in stores from
    extract, where every tracklet is for training). TEST marks the split-based benchmarks
    (PRID2011, iLIDS-VID), whose query/gallery roles come from the split chosen at evaluation."""

    TRAIN = 0
    QUERY = 1
    GALLERY = 2
    TEST = 3


@dataclass(frozen=True)
class StoreInfo:
    crop_height: int
    crop_width: int
    encoding: str
    jpeg_quality: int


@dataclass
class CameraData:
    """Everything about a camera except the crop pixels (small enough to keep in memory)."""

    name: str
    complete: bool
    attrs: dict
    tracklets: np.ndarray  # TRACKLET_DTYPE
    crop_frame: np.ndarray
    crop_box: np.ndarray
    crop_score: np.ndarray
    gt_identity: np.ndarray | None
    tracklet_set: np.ndarray | None = None  # benchmark stores: TrackletSet codes
    first_time: np.ndarray | None = None  # (M,) seconds on the network's clock; None: no clock
    last_time: np.ndarray | None = None
    entry: np.ndarray | None = None  # (M, 2) normalised foot point at the first crop; None: no frame size
    exit: np.ndarray | None = None  # (M, 2) at the last crop
    forgotten: np.ndarray | None = None  # (M,) bool: tombstones left by `pipeline forget`; None: none

    def present(self) -> np.ndarray:
        """(M,) bool: the tracklets that hold crops (every one but forget's tombstones)."""
        return np.ones(self.num_tracklets, bool) if self.forgotten is None else ~self.forgotten

    @property
    def has_time(self) -> bool:
        return self.first_time is not None

    @property
    def num_tracklets(self) -> int:
        return int(len(self.tracklets))

    @property
    def num_crops(self) -> int:
        return int(len(self.crop_frame))

    def crop_indices(self, tracklet: int) -> np.ndarray:
        row = self.tracklets[tracklet]
        return np.arange(row["start"], row["start"] + row["count"], dtype=np.int64)


def write_attrs(obj, attrs: dict) -> None:
    for k, v in attrs.items():
        obj.attrs[k] = json.dumps(v) if isinstance(v, (dict, list, tuple)) else v


def plain(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def check_camera_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise StoreError(f"invalid camera name {name!r}: no '/', not empty, not starting with '.'")


def read_info(f: h5py.File) -> StoreInfo:
    enc = f.attrs.get("crop_encoding", "jpeg")
    if isinstance(enc, bytes):
        enc = enc.decode()
    return StoreInfo(
        crop_height=int(f.attrs.get("crop_height", DEFAULT_CROP_HW[0])),
        crop_width=int(f.attrs.get("crop_width", DEFAULT_CROP_HW[1])),
        encoding=str(enc),
        jpeg_quality=int(f.attrs.get("jpeg_quality", DEFAULT_JPEG_QUALITY)),
    )


def camera_clock(attrs: dict) -> tuple[float, float] | None:
    """(fps, start_time in seconds) of a camera from its attributes, or None without a frame rate."""
    fps = float(attrs.get("fps") or 0.0)
    return (fps, float(attrs.get("start_time") or 0.0)) if fps > 0 else None


def tracklet_times(tracklets: np.ndarray, fps: float, start_time: float) -> tuple[np.ndarray, np.ndarray]:
    """First and last time of each tracklet in seconds: ``start_time + frame / fps``."""
    return (start_time + tracklets["first_frame"].astype(np.float64) / fps,
            start_time + tracklets["last_frame"].astype(np.float64) / fps)


def tracklet_places(tracklets: np.ndarray, crop_box: np.ndarray, attrs: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Where each tracklet enters and leaves the picture: the foot of its first and last crop's box
    (centre x, bottom y) divided by the frame size; None when the camera's frame size is unknown."""
    w, h = float(attrs.get("frame_width") or 0), float(attrs.get("frame_height") or 0)
    if w <= 0 or h <= 0:
        return None
    first = tracklets["start"].astype(np.int64)
    count = tracklets["count"].astype(np.int64)
    last = first + count - 1
    empty = count < 1  # forget's tombstones: no box, no place

    def foot(rows: np.ndarray) -> np.ndarray:
        b = crop_box[np.clip(rows, 0, max(len(crop_box) - 1, 0))] if len(crop_box) else np.zeros((len(rows), 4))
        out = np.stack([(b[:, 0] + b[:, 2]) / 2 / w, b[:, 3] / h], axis=1).astype(np.float32)
        out[empty] = np.nan
        return out

    return foot(first), foot(last)
