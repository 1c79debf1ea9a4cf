"""What a tracklet store holds (schema version 1, docs/tracklet-store.md): its name and version,
the per-tracklet table, the crop formats, and the attribute conventions readers and writers
share."""
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
SCHEMA_VERSION = 1
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
