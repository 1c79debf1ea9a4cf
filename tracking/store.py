"""The HDF5 tracklet store: the contract between the video half and the learning half.

Schema (version 1) is documented in docs/tracklet-store.md. One file holds a whole camera network;
per camera, crops are columnar and a tracklet's crops are contiguous, so a tracklet is a slice.

JPEG crops are kept as one flat byte array plus offsets rather than an HDF5 variable-length
dataset: a crop is then a single contiguous slice read (no global-heap lookup), which is what makes
random access for a training loader fast (measured in tools/bench_store.py).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import h5py
import numpy as np
from numpy.typing import ArrayLike

from tracklet_reid.errors import StoreError
from tracklet_reid.output_paths import ensure_free_space

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


def _created_by() -> str:
    try:
        from importlib.metadata import version

        return f"tracklet-reid {version('tracklet-reid')}"
    except Exception:  # not installed (running from a checkout)
        return "tracklet-reid"


def _open_h5(path: Path, mode: str) -> h5py.File:
    """Open an HDF5 file, turning h5py's multi-line OSErrors into one line naming the file."""
    if mode == "r" and not path.exists():
        raise StoreError(f"{path}: no such file")
    if mode == "r" and path.is_dir():
        raise StoreError(f"{path}: is a folder, not a tracklet store")
    try:
        return h5py.File(path, mode)
    except OSError as exc:
        text = str(exc)
        if "truncated file" in text:
            why = "truncated HDF5 file (an interrupted copy or write?)"
        elif "file signature not found" in text:
            why = "not an HDF5 file"
        elif "unable to lock file" in text or "already open" in text:
            why = "locked by another process that is writing it"
        else:
            why = "unreadable HDF5 file (" + text.splitlines()[0].strip() + ")"
        raise StoreError(f"{path}: {why}") from None


def _check_schema(path: Path, f: h5py.File) -> None:
    name = f.attrs.get("schema")
    if isinstance(name, bytes):
        name = name.decode()
    if name is None and "cameras" in f:
        raise StoreError(f"{path}: damaged tracklet store: its schema attributes are missing")
    if name != SCHEMA_NAME:
        raise StoreError(f"{path}: HDF5 file of another kind (schema {name!r}), not a tracklet store")
    version = int(f.attrs.get("version", -1))
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: tracklet store schema version {version} is newer than this program reads "
            f"({SCHEMA_VERSION}); upgrade tracklet-reid"
        )
    if version < 1:
        raise StoreError(f"{path}: tracklet store with invalid schema version {version}")


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


# ----------------------------------------------------------------------------------------- writing
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
            _append(g["crops"], bytes0, np.concatenate(buf["crops"]))
            g["crop_offset"].resize((self._n_crops + 1,))
            g["crop_offset"][crops0: self._n_crops + 1] = offsets
        else:
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
        _write_attrs(self._g, attrs)

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
        self._g.attrs[CHECKSUM_ATTR] = camera_checksum(self._g)
        self._g.attrs["complete"] = True
        self._g.file.flush()


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
        self._f = _open_h5(self.path, "a" if exists else "w")
        f = self._f
        if exists and len(f.attrs) > 0:
            _check_schema(self.path, f)
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
            f.attrs["created_by"] = _created_by()
            f.attrs["created_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            f.create_group("cameras")
        self.info = _read_info(f)

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
        _write_attrs(self._f, attrs)

    def complete_cameras(self) -> list[str]:
        cams = self._f["cameras"]
        return [c for c in cams if bool(cams[c].attrs.get("complete", False))]

    def camera(self, name: str, **attrs) -> CameraWriter:
        """Start a camera from scratch (dropping an incomplete one of that name)."""
        _check_camera_name(name)
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
        src_f = _open_h5(part, "r")
        try:
            _check_schema(part, src_f)
            src_info = _read_info(src_f)
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
            ensure_free_space(self.path, _group_bytes(src))
            src_f.copy(src, cams, name=tmp)
            cams[tmp].attrs["complete"] = False
            self._f.flush()
            cams.move(tmp, name)
            cams[name].attrs["complete"] = True
            self._f.flush()
        finally:
            src_f.close()


def _group_bytes(group: h5py.Group) -> int:
    return sum(int(ds.id.get_storage_size()) for ds in group.values() if isinstance(ds, h5py.Dataset))


def camera_checksum(group: h5py.Group) -> str:
    """SHA-256 over a camera's datasets (name, shape, dtype and bytes, in name order), read in
    slabs of about 64 MB: a flipped byte anywhere in its crops or tables changes it."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(group):
        ds = group[name]
        if not isinstance(ds, h5py.Dataset):
            continue
        h.update(f"{name}|{ds.shape}|{ds.dtype.str}|".encode())
        if ds.shape and ds.shape[0]:
            row_bytes = max(ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64)), 1)
            step = max(1, (64 << 20) // row_bytes)
            for a in range(0, ds.shape[0], step):
                h.update(np.ascontiguousarray(ds[a:a + step]).tobytes())
        elif not ds.shape:
            h.update(np.asarray(ds[()]).tobytes())
    return "sha256:" + h.hexdigest()


def _write_attrs(obj, attrs: dict) -> None:
    for k, v in attrs.items():
        obj.attrs[k] = json.dumps(v) if isinstance(v, (dict, list, tuple)) else v


def _check_camera_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise StoreError(f"invalid camera name {name!r}: no '/', not empty, not starting with '.'")


def _read_info(f: h5py.File) -> StoreInfo:
    enc = f.attrs.get("crop_encoding", "jpeg")
    if isinstance(enc, bytes):
        enc = enc.decode()
    return StoreInfo(
        crop_height=int(f.attrs.get("crop_height", DEFAULT_CROP_HW[0])),
        crop_width=int(f.attrs.get("crop_width", DEFAULT_CROP_HW[1])),
        encoding=str(enc),
        jpeg_quality=int(f.attrs.get("jpeg_quality", DEFAULT_JPEG_QUALITY)),
    )


# ----------------------------------------------------------------------------------------- reading
class TrackletStore:
    """Read-only view of a store.

    The HDF5 handle is opened lazily and re-opened in every process that uses the object (h5py
    handles do not survive fork), so one instance can be handed to DataLoader workers as is.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        f = _open_h5(self.path, "r")
        try:
            _check_schema(self.path, f)
            if "cameras" not in f:
                raise StoreError(f"{self.path}: tracklet store without a 'cameras' group (damaged)")
            self.info = _read_info(f)
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
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
            self._f = _open_h5(self.path, "r")
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
                    attrs={k: _plain(v) for k, v in g.attrs.items()},
                    tracklets=g["tracklets"][:],
                    crop_frame=g["crop_frame"][:],
                    crop_box=g["crop_box"][:],
                    crop_score=g["crop_score"][:],
                    gt_identity=gt if gt is not None and (gt >= 0).any() else None,
                    tracklet_set=g["tracklet_set"][:] if "tracklet_set" in g else None,
                )
            except (KeyError, OSError, ValueError) as exc:
                raise StoreError(f"{self.path}: camera {name!r} is damaged ({exc})") from None
            # an unfinished camera may be cut mid-append; it is only ever counted, never read
            problem = _inconsistency(self._cache[name], g, self.info) if self._complete[name] else None
            if problem:
                del self._cache[name]
                raise StoreError(f"{self.path}: camera {name!r} is damaged: {problem}")
        return self._cache[name]

    def verify(self, camera: str) -> bool | None:
        """Whether the camera's data still has the checksum written when it was finished (None:
        no checksum recorded, a store from before checksums or an unfinished camera)."""
        g = self._file()["cameras"][camera]
        want = _plain(g.attrs.get(CHECKSUM_ATTR))
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
            ck = _plain(g.attrs.get(CHECKSUM_ATTR))
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


def _inconsistency(c: CameraData, g: h5py.Group, info: StoreInfo) -> str | None:
    """What makes a camera's tables disagree with each other, or None. Cheap (the tables are in
    memory already) and run on every read, so a damaged count or offset is one clear line instead
    of an IndexError deep in a training loop."""
    n_crops, t = c.num_crops, c.tracklets
    if len(c.crop_box) != n_crops or len(c.crop_score) != n_crops:
        return f"{n_crops} crop frames but {len(c.crop_box)} boxes and {len(c.crop_score)} scores"
    if c.gt_identity is not None and len(c.gt_identity) != len(t):
        return f"{len(t)} tracklets but {len(c.gt_identity)} identity labels"
    if len(t):
        start, count = t["start"].astype(np.int64), t["count"].astype(np.int64)
        bad = np.flatnonzero((start < 0) | (count < 1) | (start + count > n_crops))
        if len(bad):
            k = int(bad[0])
            return (f"tracklet {k} claims crops {int(start[k])}..{int(start[k] + count[k] - 1)} of "
                    f"{n_crops} ({len(bad)} such tracklet(s))")
        if (t["last_frame"] < t["first_frame"]).any():
            return "a tracklet ends before it starts"
    if info.encoding == "jpeg":
        off = g["crop_offset"]
        if off.shape[0] != n_crops + 1:
            return f"{off.shape[0]} crop offsets for {n_crops} crops"
        o = off[:]
        if o[0] != 0 or (np.diff(o) <= 0).any() or o[-1] > g["crops"].shape[0]:
            return "crop offsets out of order or past the end of the crop data"
    elif g["crops"].shape[0] != n_crops:
        return f"{g['crops'].shape[0]} crops stored for {n_crops} crop frames"
    return None


def _plain(v):
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
