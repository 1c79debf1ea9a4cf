"""Crop pixels in and out of the store: JPEG bytes or raw arrays."""
from __future__ import annotations

import numpy as np

from tracking.store.schema import DEFAULT_JPEG_QUALITY
from tracklet_reid.errors import StoreError


def encode_crop(crop: np.ndarray, encoding: str, quality: int = DEFAULT_JPEG_QUALITY) -> np.ndarray:
    """RGB uint8 crop -> what the store keeps for it (JPEG bytes, or the pixels as they are)."""
    if encoding == "raw":
        return np.ascontiguousarray(crop, dtype=np.uint8)
    import cv2

    ok, buf = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise StoreError("JPEG encoding of a crop failed")
    return buf.reshape(-1)


_REDUCED = {1: "IMREAD_COLOR", 2: "IMREAD_REDUCED_COLOR_2", 4: "IMREAD_REDUCED_COLOR_4", 8: "IMREAD_REDUCED_COLOR_8"}


def decode_jpeg(buf: np.ndarray, reduce: int = 1) -> np.ndarray:
    """JPEG bytes -> RGB. ``reduce`` 2/4/8 decodes straight at 1/2, 1/4, 1/8 size (libjpeg's DCT
    scaling): several times cheaper than a full decode followed by a resize."""
    import cv2

    flag = getattr(cv2, _REDUCED[reduce])
    img = cv2.imdecode(buf, flag)
    if img is None:
        raise StoreError("a stored JPEG crop is corrupt")
    return img[:, :, ::-1]
