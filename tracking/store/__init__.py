"""The HDF5 tracklet store: the contract between the video half and the learning half. A package
by job: schema (what a store holds), codec (crop bytes), write, read, verify.

Schema (version 1) is documented in docs/tracklet-store.md. One file holds a whole camera network;
per camera, crops are columnar and a tracklet's crops are contiguous, so a tracklet is a slice.

JPEG crops are kept as one flat byte array plus offsets rather than an HDF5 variable-length
dataset: a crop is then a single contiguous slice read (no global-heap lookup), which is what makes
random access for a training loader fast (measured in tools/bench_store.py).
"""

from __future__ import annotations

from tracking.store.codec import decode_jpeg, encode_crop
from tracking.store.read import TrackletStore
from tracking.store.schema import (
    CHECKSUM_ATTR,
    DEFAULT_CROP_HW,
    DEFAULT_JPEG_QUALITY,
    ENCODINGS,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    TRACKLET_DTYPE,
    CameraData,
    StoreInfo,
    TrackletSet,
)
from tracking.store.verify import camera_checksum
from tracking.store.write import CameraWriter, StoreWriter
from tracklet_reid.errors import StoreError

__all__ = ["CHECKSUM_ATTR", "DEFAULT_CROP_HW", "DEFAULT_JPEG_QUALITY", "ENCODINGS", "SCHEMA_NAME", "SCHEMA_VERSION",
           "TRACKLET_DTYPE", "CameraData", "CameraWriter", "StoreError", "StoreInfo", "StoreWriter", "TrackletSet",
           "TrackletStore", "camera_checksum", "decode_jpeg", "encode_crop"]
