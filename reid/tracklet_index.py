"""A flat index over the complete cameras' tracklets of a store: what learning, embedding,
evaluation and association iterate over (global tracklet order, grouped by camera)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracking.store import TrackletSet, TrackletStore
from tracklet_reid.errors import InputError


@dataclass
class TrackletIndex:
    """Every tracklet of the store's usable cameras, grouped by camera, with a global index."""

    cameras: list[str]
    camera_slices: list[slice]  # rows of each camera in the global tracklet order
    camera_of: np.ndarray  # (N,) camera index of each tracklet
    local_of: np.ndarray  # (N,) tracklet index within its camera
    crop_start: np.ndarray  # (N,) first crop (camera-local crop index)
    crop_count: np.ndarray  # (N,)
    gt: np.ndarray  # (N,) ground-truth identity or -1 (evaluation only)
    first_frame: np.ndarray
    last_frame: np.ndarray
    # whether frame numbers are video time (tracklets of one camera with overlapping spans were seen
    # at once); False for imported benchmarks, whose frame numbers restart in every tracklet
    frames_are_time: bool = True

    @property
    def num_tracklets(self) -> int:
        return int(len(self.camera_of))

    def classes_per_camera(self) -> list[int]:
        return [s.stop - s.start for s in self.camera_slices]

    @classmethod
    def from_store(cls, store: TrackletStore, cameras: list[str] | None = None, require: bool = True,
                   select=None) -> "TrackletIndex":
        """``select(camera_data) -> bool mask`` keeps some tracklets of each camera (default: the
        training tracklets, i.e. all of them in stores from extract)."""
        select = select or training_tracklets()
        names = cameras or store.cameras
        incomplete = store.incomplete_cameras
        if not names:
            why = f" ({len(incomplete)} incomplete: {', '.join(incomplete)})" if incomplete else ""
            raise InputError(f"{store.path}: no complete camera to learn from{why}; finish `pipeline extract` first")
        if incomplete and cameras is None:
            import warnings

            warnings.warn(f"{store.path}: skipping incomplete camera(s) {', '.join(incomplete)} (extract was "
                          "interrupted; rerun it to finish them)")
        cams, slices, rows = [], [], []
        n = 0
        for name in names:
            c = store.camera(name)
            keep = np.flatnonzero(select(c))
            if len(keep) == 0:
                continue
            cams.append(name)
            slices.append(slice(n, n + len(keep)))
            n += len(keep)
            gt = c.gt_identity[keep] if c.gt_identity is not None else np.full(len(keep), -1)
            t = c.tracklets[keep]
            rows.append((np.full(len(keep), len(cams) - 1), keep, t["start"], t["count"], gt, t["first_frame"],
                         t["last_frame"]))
        if require and n == 0:
            raise InputError(f"{store.path}: the complete cameras hold no tracklet")
        empty = np.zeros(0, np.int64)
        cat = [np.concatenate(col) for col in zip(*rows)] if rows else [empty] * 7
        camera_of, local_of, crop_start, crop_count, gt, first, last = (np.asarray(a, dtype=np.int64) for a in cat)
        return cls(cams, slices, camera_of, local_of, crop_start, crop_count, gt, first, last,
                   frames_are_time=store.frames_are_time)


def training_tracklets(split: dict | None = None):
    """The tracklets learning may use: everything in stores from extract; the training set of
    benchmark stores; for split-based benchmarks (PRID2011, iLIDS-VID) the split's training
    identities (the protocol's partition, given with the data)."""
    def select(c) -> np.ndarray:
        if c.tracklet_set is None:
            return np.ones(c.num_tracklets, bool)
        if split is not None:
            return (c.tracklet_set == TrackletSet.TEST) & np.isin(c.gt_identity, split["train"])
        if (c.tracklet_set == TrackletSet.TEST).any():
            raise InputError("this benchmark defines its training set by split: give --split N (0-9)")
        return c.tracklet_set == TrackletSet.TRAIN

    return select
