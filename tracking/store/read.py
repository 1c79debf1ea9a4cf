"""Reading a store: a read-only view that reopens its HDF5 handle in every process (DataLoader
workers), reads each camera's tables once, and decodes crops on demand."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import h5py
import numpy as np

from tracking.store.codec import decode_jpeg, encode_crop
from tracking.store.schema import (
    CHECKSUM_ATTR,
    FORGOTTEN,
    CameraData,
    camera_clock,
    plain,
    read_info,
    tracklet_places,
    tracklet_times,
)
from tracking.store.verify import camera_checksum, check_schema, inconsistency, open_h5
from tracklet_reid.errors import StoreError


class TrackletStore:
    """Read-only view of a store.

    The HDF5 handle is opened lazily and re-opened in every process that uses the object (h5py
    handles do not survive fork), so one instance can be handed to DataLoader workers as is.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        f = open_h5(self.path, "r")
        try:
            check_schema(self.path, f)
            if "cameras" not in f:
                raise StoreError(f"{self.path}: tracklet store without a 'cameras' group (damaged)")
            self.info = read_info(f)
            self.attrs = {k: plain(v) for k, v in f.attrs.items()}
            cams = f["cameras"]
            self.all_cameras: list[str] = sorted(c for c in cams if not c.startswith("."))
            self._complete = {c: bool(cams[c].attrs.get("complete", False)) for c in self.all_cameras}
        finally:
            f.close()
        self._f: h5py.File | None = None
        self._pid = -1
        self._cache: dict[str, CameraData] = {}
        self._crops: dict[str, tuple] = {}

    # pickling for DataLoader workers: never carry an open handle across processes
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_f"] = None
        state["_pid"] = -1
        state["_crops"] = {}
        return state

    def _file(self) -> h5py.File:
        if self._f is None or self._pid != os.getpid():
            self._f = open_h5(self.path, "r")
            self._pid = os.getpid()
            self._crops = {}
        return self._f

    def close(self) -> None:
        if self._f is not None and self._pid == os.getpid() and self._f.id.valid:
            self._f.close()
        self._f = None

    def __enter__(self) -> "TrackletStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def cameras(self) -> list[str]:
        """Complete cameras only: an incomplete one is never read as finished."""
        return [c for c in self.all_cameras if self._complete[c]]

    @property
    def incomplete_cameras(self) -> list[str]:
        """Cameras an extraction started and has not finished."""
        return [c for c in self.all_cameras if not self._complete[c]]

    @property
    def frames_are_time(self) -> bool:
        """Whether tracklets' frame numbers are video time, so that two tracklets of one camera with
        overlapping spans were seen at once. True for stores from extract; False for imported
        benchmarks, whose frame numbers restart in every tracklet."""
        return "benchmark" not in self.attrs

    def is_complete(self, camera: str) -> bool:
        return self._complete[camera]

    def camera(self, name: str) -> CameraData:
        if name not in self._complete:
            raise StoreError(f"{self.path}: no camera {name!r} (has: {', '.join(self.all_cameras)})")
        if name not in self._cache:
            g = self._file()["cameras"][name]
            try:
                gt = g["gt_identity"][:] if "gt_identity" in g else None
                self._cache[name] = CameraData(
                    name=name,
                    complete=self._complete[name],
                    attrs={k: plain(v) for k, v in g.attrs.items()},
                    tracklets=g["tracklets"][:],
                    crop_frame=g["crop_frame"][:],
                    crop_box=g["crop_box"][:],
                    crop_score=g["crop_score"][:],
                    gt_identity=gt if gt is not None and (gt >= 0).any() else None,
                    tracklet_set=g["tracklet_set"][:] if "tracklet_set" in g else None,
                    forgotten=g[FORGOTTEN][:].astype(bool) if FORGOTTEN in g else None,
                )
                self._add_time_and_place(self._cache[name], g)
            except (KeyError, OSError, ValueError) as exc:
                raise StoreError(f"{self.path}: camera {name!r} is damaged ({exc})") from None
            # an unfinished camera may be cut mid-append; it is only ever counted, never read
            problem = inconsistency(self._cache[name], g, self.info) if self._complete[name] else None
            if problem:
                del self._cache[name]
                raise StoreError(f"{self.path}: camera {name!r} is damaged: {problem}")
        return self._cache[name]

    def _add_time_and_place(self, c: CameraData, g: h5py.Group) -> None:
        """Schema 2's columns where written; for a version 1 store from extract, derived from the
        camera's frame rate and frame size. Benchmark stores have no clock: their frame numbers
        restart in every tracklet."""
        if "first_time" in g:
            c.first_time, c.last_time = g["first_time"][:], g["last_time"][:]
        elif self.frames_are_time and (clock := camera_clock(c.attrs)) is not None:
            c.first_time, c.last_time = tracklet_times(c.tracklets, *clock)
        if "entry" in g:
            c.entry, c.exit = g["entry"][:], g["exit"][:]
        elif self.frames_are_time and (places := tracklet_places(c.tracklets, c.crop_box, c.attrs)) is not None:
            c.entry, c.exit = places

    def verify(self, camera: str) -> bool | None:
        """Whether the camera's data still has the checksum written when it was finished (None:
        no checksum recorded, a store from before checksums or an unfinished camera)."""
        g = self._file()["cameras"][camera]
        want = plain(g.attrs.get(CHECKSUM_ATTR))
        if want is None:
            return None
        return camera_checksum(g) == want

    def iter_cameras(self) -> Iterator[CameraData]:
        for c in self.cameras:
            yield self.camera(c)

    def _crop_source(self, camera: str):
        src = self._crops.get(camera)
        if src is None:
            g = self._file()["cameras"][camera]
            offsets = g["crop_offset"][:] if self.info.encoding == "jpeg" else None
            src = (g["crops"], offsets)
            self._crops[camera] = src
        return src

    def crop(self, camera: str, index: int, reduce: int = 1) -> np.ndarray:
        """One crop as RGB uint8 (H, W, 3); ``reduce`` (1, 2, 4, 8) returns it that many times smaller."""
        data, offsets = self._crop_source(camera)
        if offsets is None:
            img = data[int(index)]
            return img if reduce == 1 else img[reduce // 2::reduce, reduce // 2::reduce]
        a, b = int(offsets[index]), int(offsets[index + 1])
        try:
            return decode_jpeg(data[a:b], reduce)
        except StoreError:
            raise StoreError(f"{self.path}: camera {camera!r}, crop {index}: damaged JPEG data "
                             "(`pipeline inspect --verify` checks the whole store)") from None

    def content_key(self) -> str:
        """A checksum of what the store holds (each complete camera's recorded checksum and
        tracklet count; size and modification time for cameras written before checksums): files
        derived from the store (search indexes) are tied to it by this key."""
        import hashlib

        h = hashlib.sha256()
        for c in self.cameras:
            g = self._file()["cameras"][c]
            ck = plain(g.attrs.get(CHECKSUM_ATTR))
            h.update(f"{c}:{ck if ck is not None else ''}:{self.camera(c).num_tracklets};".encode())
            if ck is None:
                st = os.stat(self.path)
                h.update(f"{st.st_size}:{st.st_mtime_ns};".encode())
        return h.hexdigest()

    def encoded_crop(self, camera: str, index: int) -> bytes:
        """One crop as JPEG bytes: as stored in a JPEG store (no re-encoding), else encoded once."""
        data, offsets = self._crop_source(camera)
        if offsets is None:
            return bytes(encode_crop(np.asarray(data[int(index)]), "jpeg"))
        return bytes(data[int(offsets[index]):int(offsets[index + 1])])

    def reduction_for(self, hw: tuple[int, int]) -> int:
        """The largest decode reduction that still gives at least ``hw`` pixels."""
        r = 1
        while r < 8 and self.info.crop_height // (2 * r) >= hw[0] and self.info.crop_width // (2 * r) >= hw[1]:
            r *= 2
        return r

    def crops(self, camera: str, indices: Iterable[int]) -> np.ndarray:
        idx = np.asarray(list(indices), dtype=np.int64)
        out = np.empty((len(idx), self.info.crop_height, self.info.crop_width, 3), np.uint8)
        for k, i in enumerate(idx):
            out[k] = self.crop(camera, int(i))
        return out

    def tracklet_crops(self, camera: str, tracklet: int) -> np.ndarray:
        return self.crops(camera, self.camera(camera).crop_indices(tracklet))
