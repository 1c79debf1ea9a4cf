"""Small builders shared by tests."""
from __future__ import annotations

import numpy as np

from tracking.store import StoreWriter


def write_store(path, cameras=None, encoding="jpeg", crop_hw=(32, 16), finish=True, seed=0, gt=True):
    """A store with cameras {name: [tracklet lengths]}; crops are random noise plus a colour."""
    rng = np.random.default_rng(seed)
    cameras = cameras or {"c1": [3, 5], "c2": [4]}
    with StoreWriter(path, crop_hw=crop_hw, encoding=encoding) as w:
        for ci, (name, lengths) in enumerate(cameras.items()):
            cam = w.camera(name, fps=10.0, frame_count=100)
            frame = 0
            for ti, n in enumerate(lengths):
                crops = rng.integers(0, 255, size=(n, *crop_hw, 3), dtype=np.uint8)
                frames = np.arange(frame, frame + n)
                boxes = np.tile([10, 20, 30, 60], (n, 1)).astype(np.float32)
                cam.add_tracklet(crops, frames, boxes, np.full(n, 0.9), track_id=ti + 1,
                                 gt_identity=ti if gt else -1)
                frame += n
            if finish:
                cam.finish()
    return path
