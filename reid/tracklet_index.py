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
    # first / last time in seconds on the network's clock (NaN where a camera has no frame rate)
    first_time: np.ndarray | None = None
    last_time: np.ndarray | None = None
    cameras_without_clock: tuple[str, ...] = ()
    # (N, 2) normalised foot point where each tracklet entered / left its view (NaN where unknown)
    entry: np.ndarray | None = None
    exit: np.ndarray | None = None

    @property
    def times_known(self) -> bool:
        """Every camera's tracklets have times in seconds: spans compare across cameras."""
        return self.first_time is not None and not self.cameras_without_clock

    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Each tracklet's (first, last) for time comparisons: seconds where every camera has a
        clock; else frame numbers, which compare only within one camera (and across cameras only
        when they share a frame rate and a start: `match` says so in one line)."""
        if self.times_known:
            assert self.first_time is not None and self.last_time is not None
            return self.first_time, self.last_time
        return self.first_frame, self.last_frame

    @property
    def num_tracklets(self) -> int:
        return int(len(self.camera_of))

    def classes_per_camera(self) -> list[int]:
        return [s.stop - s.start for s in self.camera_slices]

    @classmethod
    def from_store(cls, store: TrackletStore, cameras: list[str] | None = None, require: bool = True,
                   select=None) -> "TrackletIndex":
        """``select(camera_data) -> bool mask`` keeps some tracklets of each camera (default: the
        training tracklets, i.e. all of them in stores from extract); tracklets `pipeline forget`
        removed are never kept."""
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
        cams, slices, rows, times, no_clock, places = [], [], [], [], [], []
        n = 0
        for name in names:
            c = store.camera(name)
            keep = np.flatnonzero(select(c) & c.present())  # never forget's tombstones
            if len(keep) == 0:
                continue
            cams.append(name)
            slices.append(slice(n, n + len(keep)))
            n += len(keep)
            gt = c.gt_identity[keep] if c.gt_identity is not None else np.full(len(keep), -1)
            t = c.tracklets[keep]
            rows.append((np.full(len(keep), len(cams) - 1), keep, t["start"], t["count"], gt, t["first_frame"],
                         t["last_frame"]))
            if c.first_time is not None and c.last_time is not None:
                times.append((c.first_time[keep], c.last_time[keep]))
            else:
                no_clock.append(name)
                times.append((np.full(len(keep), np.nan), np.full(len(keep), np.nan)))
            unknown = np.full((len(keep), 2), np.nan)
            places.append((unknown, unknown) if c.entry is None or c.exit is None else (c.entry[keep], c.exit[keep]))
        if require and n == 0:
            raise InputError(f"{store.path}: the complete cameras hold no tracklet")
        empty = np.zeros(0, np.int64)
        cat = [np.concatenate(col) for col in zip(*rows)] if rows else [empty] * 7
        camera_of, local_of, crop_start, crop_count, gt, first, last = (np.asarray(a, dtype=np.int64) for a in cat)
        first_time = last_time = None
        if store.frames_are_time and times and len(no_clock) < len(times):
            first_time, last_time = (np.concatenate(col).astype(np.float64) for col in zip(*times))
        entry = exit_ = None
        if store.frames_are_time and places:
            entry, exit_ = (np.concatenate(col).astype(np.float64) for col in zip(*places))
        return cls(cams, slices, camera_of, local_of, crop_start, crop_count, gt, first, last,
                   frames_are_time=store.frames_are_time, first_time=first_time, last_time=last_time,
                   cameras_without_clock=tuple(no_clock) if store.frames_are_time else (), entry=entry, exit=exit_)


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
