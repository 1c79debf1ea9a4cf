"""What `pipeline inspect` reports about a store, as plain data."""
from __future__ import annotations

import numpy as np

from tracking.store import TrackletStore


def summarize(store: TrackletStore) -> dict:
    cams: list[dict] = []
    all_lengths = []
    crops = 0
    for name in store.all_cameras:
        cam = store.camera(name)
        # a tracklet's length in frames of video (its crops are a sample of them, at most 64)
        t = cam.tracklets[cam.present()]
        lengths = (t["last_frame"].astype(np.int64) - t["first_frame"].astype(np.int64) + 1)
        all_lengths.append(lengths)
        crops += cam.num_crops
        cams.append(
            {
                "camera": name,
                "complete": cam.complete,
                "tracklets": len(t),
                "forgotten": int(cam.num_tracklets - len(t)),
                "crops": cam.num_crops,
                "frames_min": int(lengths.min()) if len(lengths) else 0,
                "frames_median": float(np.median(lengths)) if len(lengths) else 0.0,
                "frames_max": int(lengths.max()) if len(lengths) else 0,
                "ground_truth": cam.gt_identity is not None,
                "identities": int(len(np.unique(cam.gt_identity[cam.gt_identity >= 0])))
                if cam.gt_identity is not None
                else None,
                "fps": cam.attrs.get("fps"),
                "frames": cam.attrs.get("frame_count"),
                # what extract noticed (a video ending before its header says, corrupt frames)
                "warnings": list((cam.attrs.get("summary") or {}).get("warnings", [])),
            }
        )
    lengths = np.concatenate(all_lengths) if all_lengths else np.zeros(0, np.int64)
    info = store.info
    return {
        "file": str(store.path),
        "skipped_cameras": dict(store.attrs.get("skipped_cameras") or {}),
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
            "crops": int(crops),
            "frames_min": int(lengths.min()) if len(lengths) else 0,
            "frames_median": float(np.median(lengths)) if len(lengths) else 0.0,
            "frames_max": int(lengths.max()) if len(lengths) else 0,
        },
    }
