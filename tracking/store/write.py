"""Writing a store: cameras appended tracklet by tracklet in buffered blocks, marked complete only
when whole, and complete cameras copied in from part files."""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
from numpy.typing import ArrayLike

from tracking.store.codec import encode_crop
from tracking.store.schema import (
    _BYTES_CHUNK,
    CHECKSUM_ATTR,
    DEFAULT_CROP_HW,
    DEFAULT_JPEG_QUALITY,
    ENCODINGS,
    FORGOTTEN,
    PLACE_COLUMNS,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    TIME_COLUMNS,
    TRACKLET_DTYPE,
    StoreInfo,
    camera_clock,
    check_camera_name,
    created_by,
    plain,
    read_info,
    tracklet_places,
    tracklet_times,
    write_attrs,
)
from tracking.store.verify import camera_checksum, check_schema, group_bytes, open_h5
from tracklet_reid.errors import StoreError
from tracklet_reid.output_paths import ensure_free_space


class CameraWriter:
    """Appends one camera's tracklets. The camera is marked complete only by ``finish``.

    Tracklets are buffered and written a block at a time: an HDF5 resize and write per dataset
    per tracklet cost about 1 ms, which at a million tracklets is most of an hour. A buffer lost
    with a killed run costs nothing more than before: an unfinished camera is redone anyway."""

    FLUSH_BYTES = 32 << 20
    FLUSH_TRACKLETS = 4096

    def __init__(self, group: h5py.Group, info: StoreInfo):
        self._g = group
        self._info = info
        self._n_crops = int(group["crop_frame"].shape[0])
        self._n_tracklets = int(group["tracklets"].shape[0])
        self._n_bytes = int(group["crops"].shape[0]) if info.encoding == "jpeg" else 0
        self._written = (self._n_crops, self._n_tracklets, self._n_bytes)  # what the file holds
        self._filename = group.file.filename
        self._buf: dict[str, list] = {k: [] for k in ("crops", "lengths", "crop_frame", "crop_box", "crop_score",
                                                      "tracklets", "gt_identity")}
        self._buf_bytes = 0
        self._tombstones: list[int] = []

    @property
    def num_tracklets(self) -> int:
        return self._n_tracklets

    @property
    def num_crops(self) -> int:
        return self._n_crops

    def add_tracklet(
        self,
        crops: Sequence[np.ndarray],
        frames: ArrayLike,
        boxes: ArrayLike,
        scores: ArrayLike,
        track_id: int,
        gt_identity: int = -1,
        encoded: bool = False,
        frame_range: tuple[int, int] | None = None,
    ) -> int:
        """Append one tracklet; returns its index. ``crops`` are RGB (H, W, 3) at the store's size,
        or already-encoded buffers when ``encoded`` (lets worker processes encode in parallel).
        ``frame_range`` (first, last) is the whole track's span when only some of its frames are
        kept as crops; by default the span of ``frames``."""
        n = len(crops)
        if n == 0:
            raise ValueError("a tracklet needs at least one crop")
        frame_a = np.asarray(frames, dtype=np.int32)
        box_a = np.asarray(boxes, dtype=np.float32).reshape(n, 4)
        score_a = np.asarray(scores, dtype=np.float32).reshape(n)
        info, buf = self._info, self._buf
        if not buf["tracklets"]:  # a block starts: a full disk is said now, before more work is done
            ensure_free_space(self._filename)
        if info.encoding == "jpeg":
            bufs = crops if encoded else [encode_crop(c, "jpeg", info.jpeg_quality) for c in crops]
            buf["lengths"] += [len(b) for b in bufs]
            buf["crops"] += [np.asarray(b, dtype=np.uint8).reshape(-1) for b in bufs]
            nbytes = sum(len(b) for b in bufs)
            self._n_bytes += nbytes
        else:
            h, w = info.crop_height, info.crop_width
            arr = np.stack([np.asarray(c, dtype=np.uint8) for c in crops])
            if arr.shape[1:] != (h, w, 3):
                raise ValueError(f"crops must be {h}x{w}x3, got {arr.shape[1:]}")
            buf["crops"].append(arr)
            nbytes = arr.nbytes
        buf["crop_frame"].append(frame_a)
        buf["crop_box"].append(box_a)
        buf["crop_score"].append(score_a)
        first, last = frame_range if frame_range is not None else (int(frame_a.min()), int(frame_a.max()))
        buf["tracklets"].append((self._n_crops, n, int(first), int(last), int(track_id)))
        buf["gt_identity"].append(int(gt_identity))
        t = self._n_tracklets
        self._n_crops += n
        self._n_tracklets += 1
        self._buf_bytes += nbytes
        if self._buf_bytes >= self.FLUSH_BYTES or len(buf["tracklets"]) >= self.FLUSH_TRACKLETS:
            self.flush()
        return t

    def add_tombstone(self, track_id: int, frame_range: tuple[int, int]) -> int:
        """Append the row of a tracklet `pipeline forget` removed: no crop, no box, no identity, only
        the track id and frame span that keep the tracker's boxes of it from coming back under a new
        id (`tracking.mot_files.relabelled_tracks`); the numbers of the tracklets after it stay."""
        buf = self._buf
        buf["tracklets"].append((self._n_crops, 0, int(frame_range[0]), int(frame_range[1]), int(track_id)))
        buf["gt_identity"].append(-1)
        for key, shape, dtype in (("crop_frame", (0,), np.int32), ("crop_box", (0, 4), np.float32),
                                  ("crop_score", (0,), np.float32)):
            buf[key].append(np.zeros(shape, dtype))
        self._tombstones.append(self._n_tracklets)
        self._n_tracklets += 1
        return self._n_tracklets - 1

    def flush(self) -> None:
        """Write the buffered tracklets to the file."""
        buf, g = self._buf, self._g
        if not buf["tracklets"]:
            return
        crops0, tracklets0, bytes0 = self._written
        ensure_free_space(self._filename, self._buf_bytes)
        if self._info.encoding == "jpeg":
            lengths = np.asarray(buf["lengths"], dtype=np.int64)
            offsets = bytes0 + np.concatenate([[0], np.cumsum(lengths)])
            if buf["crops"]:  # a block of tombstones alone has none
                _append(g["crops"], bytes0, np.concatenate(buf["crops"]))
            g["crop_offset"].resize((self._n_crops + 1,))
            g["crop_offset"][crops0: self._n_crops + 1] = offsets
        elif buf["crops"]:
            _append(g["crops"], crops0, np.concatenate(buf["crops"]))
        for key in ("crop_frame", "crop_box", "crop_score"):
            _append(g[key], crops0, np.concatenate(buf[key]))
        _append(g["tracklets"], tracklets0, np.array(buf["tracklets"], dtype=TRACKLET_DTYPE))
        _append(g["gt_identity"], tracklets0, np.asarray(buf["gt_identity"], dtype=g["gt_identity"].dtype))
        self._written = (self._n_crops, self._n_tracklets, self._n_bytes)
        for v in buf.values():
            v.clear()
        self._buf_bytes = 0

    def set_attrs(self, **attrs) -> None:
        write_attrs(self._g, attrs)

    def add_tracklet_column(self, name: str, values: np.ndarray) -> None:
        """An optional per-tracklet dataset (e.g. a benchmark's `tracklet_set`), one value per tracklet."""
        values = np.asarray(values)
        if len(values) != self._n_tracklets:
            raise ValueError(f"{name}: {len(values)} values for {self._n_tracklets} tracklets")
        self.flush()
        self._g.create_dataset(name, data=values)

    def finish(self) -> None:
        """Mark the camera complete, with a checksum of its data (`inspect --verify` compares it).
        Until this runs, readers treat the camera as unfinished."""
        self.flush()
        if self._tombstones:
            gone = np.zeros(self._n_tracklets, bool)
            gone[self._tombstones] = True
            self._g.create_dataset(FORGOTTEN, data=gone)
        self._write_time_and_place()
        self._g.attrs[CHECKSUM_ATTR] = camera_checksum(self._g)
        self._g.attrs["complete"] = True
        self._g.file.flush()


    def _write_time_and_place(self) -> None:
        """Schema 2's per-tracklet times (seconds) and entry / exit places, from the camera's clock
        and frame size attributes; nothing for a camera without a frame rate."""
        attrs = {k: plain(v) for k, v in self._g.attrs.items()}
        clock = camera_clock(attrs)
        if clock is None or "first_time" in self._g:
            return
        t = self._g["tracklets"][:]
        for name, values in zip(TIME_COLUMNS, tracklet_times(t, *clock)):
            self._g.create_dataset(name, data=values)
        places = tracklet_places(t, self._g["crop_box"][:], attrs)
        if places is not None:
            for name, values in zip(PLACE_COLUMNS, places):
                self._g.create_dataset(name, data=values)


def _append(ds: h5py.Dataset, at: int, values: np.ndarray) -> None:
    ds.resize((at + len(values),) + ds.shape[1:])
    ds[at: at + len(values)] = values


class StoreWriter:
    """Creates or appends to a store. A camera that exists but is incomplete is replaced."""

    def __init__(
        self,
        path: str | os.PathLike,
        crop_hw: tuple[int, int] = DEFAULT_CROP_HW,
        encoding: str = "jpeg",
        jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    ):
        if encoding not in ENCODINGS:
            raise ValueError(f"crop encoding must be one of {ENCODINGS}, not {encoding!r}")
        self.path = Path(path)
        exists = self.path.exists()
        self._f = open_h5(self.path, "a" if exists else "w")
        f = self._f
        if exists and len(f.attrs) > 0:
            check_schema(self.path, f)
        elif exists and len(f.keys()) > 0:
            f.close()
            raise StoreError(f"{self.path}: HDF5 file of another kind (no schema), not overwriting it")
        else:
            f.attrs["schema"] = SCHEMA_NAME
            f.attrs["version"] = SCHEMA_VERSION
            f.attrs["crop_height"] = int(crop_hw[0])
            f.attrs["crop_width"] = int(crop_hw[1])
            f.attrs["crop_encoding"] = encoding
            f.attrs["jpeg_quality"] = int(jpeg_quality)
            f.attrs["created_by"] = created_by()
            f.attrs["created_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            f.create_group("cameras")
        self.info = read_info(f)

    @classmethod
    def same_format(cls, path: str | os.PathLike, info: StoreInfo) -> "StoreWriter":
        """A new store whose crops are kept as another store's (``info``): crops copy over as they are."""
        return cls(path, crop_hw=(info.crop_height, info.crop_width), encoding=info.encoding,
                   jpeg_quality=info.jpeg_quality)

    def __enter__(self) -> "StoreWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._f.id.valid:
            self._f.close()

    def set_attrs(self, **attrs) -> None:
        """Store-level attributes (structured values are kept as JSON)."""
        write_attrs(self._f, attrs)

    def complete_cameras(self) -> list[str]:
        cams = self._f["cameras"]
        return [c for c in cams if bool(cams[c].attrs.get("complete", False))]

    def camera(self, name: str, **attrs) -> CameraWriter:
        """Start a camera from scratch (dropping an incomplete one of that name)."""
        check_camera_name(name)
        cams = self._f["cameras"]
        if name in cams:
            if bool(cams[name].attrs.get("complete", False)):
                raise StoreError(f"{self.path}: camera {name!r} is already complete")
            del cams[name]  # HDF5 does not reclaim the space; h5repack does
        g = cams.create_group(name)
        g.attrs["complete"] = False
        info = self.info
        if info.encoding == "jpeg":
            g.create_dataset("crops", (0,), maxshape=(None,), dtype=np.uint8, chunks=(_BYTES_CHUNK,))
            g.create_dataset("crop_offset", data=np.zeros(1, np.int64), maxshape=(None,), chunks=(4096,))
        else:
            h, w = info.crop_height, info.crop_width
            g.create_dataset(
                "crops", (0, h, w, 3), maxshape=(None, h, w, 3), dtype=np.uint8, chunks=(1, h, w, 3)
            )
        g.create_dataset("crop_frame", (0,), maxshape=(None,), dtype=np.int32, chunks=(4096,))
        g.create_dataset("crop_box", (0, 4), maxshape=(None, 4), dtype=np.float32, chunks=(4096, 4))
        g.create_dataset("crop_score", (0,), maxshape=(None,), dtype=np.float32, chunks=(4096,))
        g.create_dataset("tracklets", (0,), maxshape=(None,), dtype=TRACKLET_DTYPE, chunks=(1024,))
        g.create_dataset("gt_identity", (0,), maxshape=(None,), dtype=np.int32, chunks=(1024,))
        writer = CameraWriter(g, info)
        writer.set_attrs(**attrs)
        return writer

    def copy_camera_from(self, part: str | os.PathLike, name: str) -> None:
        """Copy a complete camera from another store (e.g. a worker's part file) into this one.

        The copy lands under a temporary name and is renamed only when whole, so an interrupted
        copy never looks like a finished camera.
        """
        part = Path(part)
        src_f = open_h5(part, "r")
        try:
            check_schema(part, src_f)
            src_info = read_info(src_f)
            if src_info != self.info:
                raise StoreError(f"{part}: crop format {src_info} differs from {self.path}'s {self.info}")
            src = src_f["cameras"].get(name)
            if src is None or not bool(src.attrs.get("complete", False)):
                raise StoreError(f"{part}: camera {name!r} is missing or incomplete")
            cams = self._f["cameras"]
            tmp = f".copying-{name}"
            if tmp in cams:
                del cams[tmp]
            if name in cams:
                if bool(cams[name].attrs.get("complete", False)):
                    raise StoreError(f"{self.path}: camera {name!r} is already complete")
                del cams[name]
            ensure_free_space(self.path, group_bytes(src))
            src_f.copy(src, cams, name=tmp)
            cams[tmp].attrs["complete"] = False
            self._f.flush()
            cams.move(tmp, name)
            cams[name].attrs["complete"] = True
            self._f.flush()
        finally:
            src_f.close()
