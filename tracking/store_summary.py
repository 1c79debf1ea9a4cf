"""What `pipeline inspect` reports about a store, as plain data."""
from __future__ import annotations

import numpy as np

from tracking.store import TrackletStore


def summarize(store: TrackletStore) -> dict:
    cams = []
    all_lengths = []
    for name in store.all_cameras:
        cam = store.camera(name)
        lengths = cam.tracklets["count"].astype(np.int64)
        all_lengths.append(lengths)
        cams.append(
            {
                "camera": name,
                "complete": cam.complete,
                "tracklets": cam.num_tracklets,
                "crops": cam.num_crops,
                "length_min": int(lengths.min()) if len(lengths) else 0,
                "length_median": float(np.median(lengths)) if len(lengths) else 0.0,
                "length_max": int(lengths.max()) if len(lengths) else 0,
                "ground_truth": cam.gt_identity is not None,
                "identities": int(len(np.unique(cam.gt_identity[cam.gt_identity >= 0])))
                if cam.gt_identity is not None
                else None,
                "fps": cam.attrs.get("fps"),
                "frames": cam.attrs.get("frame_count"),
            }
        )
    lengths = np.concatenate(all_lengths) if all_lengths else np.zeros(0, np.int64)
    info = store.info
    return {
        "file": str(store.path),
        "schema_version": int(store.attrs.get("version", 0)),
        "created_by": store.attrs.get("created_by"),
        "created_at": store.attrs.get("created_at"),
        "crop_size": [info.crop_height, info.crop_width],
        "crop_encoding": info.encoding,
        "jpeg_quality": info.jpeg_quality if info.encoding == "jpeg" else None,
        "bytes_on_disk": store.path.stat().st_size,
        "cameras": cams,
        "total": {
            "cameras": len(cams),
            "complete_cameras": sum(c["complete"] for c in cams),
            "tracklets": int(len(lengths)),
            "crops": int(lengths.sum()),
            "length_min": int(lengths.min()) if len(lengths) else 0,
            "length_median": float(np.median(lengths)) if len(lengths) else 0.0,
            "length_max": int(lengths.max()) if len(lengths) else 0,
        },
    }
