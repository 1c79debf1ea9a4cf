"""Remove a person from a store: every tracklet closer to the query than a distance the user sets,
with its crops, and the search indexes derived from the store.

The store is rewritten without those tracklets into a temporary file beside it, which replaces the
store in one `os.replace` only when whole: a run killed at any moment leaves either the old store
untouched or the new one complete. Search indexes of the old store hold the person's features, so
they are deleted (the next search rebuilds one). One log line per removed tracklet goes to
`<store>.forget.log` (camera, tracklet, frames, distance; no image), the audit trail of a deletion.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reid.search.query import Hit, SearchIndex, distances, hits, index_files, with_probability
from tracking.store import StoreWriter, TrackletStore
from tracklet_reid.errors import InputError

# attributes StoreWriter writes itself for a new file
_WRITER_ATTRS = {"schema", "version", "crop_height", "crop_width", "crop_encoding", "jpeg_quality", "created_by",
                 "created_at"}


@dataclass
class Forgotten:
    removed: list[Hit]
    store: Path
    log: Path
    indexes_removed: int
    # output folders derived from the store (manifests under its folder or the ones named), each
    # with what was done: (folder, command, files deleted)
    outputs: list[tuple[Path, str, int]]


def matches(index: SearchIndex, query: np.ndarray, max_distance: float, features: np.ndarray) -> list[Hit]:
    """Every tracklet within ``max_distance`` of ``query``, nearest first."""
    d = distances(features, query)
    rows = np.flatnonzero(d <= max_distance)
    return hits(index, rows[np.argsort(d[rows], kind="stable")], d)


def probable_matches(index: SearchIndex, store: TrackletStore, query: np.ndarray, query_row: int | None,
                     min_probability: float, features: np.ndarray) -> list[Hit]:
    """Every tracklet whose probability of being the query's person reaches ``min_probability``
    (`reid.search.same_person`), nearest first; refused in one line where the index could not
    calibrate one."""
    d = distances(features, query)
    order = np.argsort(d, kind="stable")  # the query's own tracklet first (distance 0): removed too
    ranked = with_probability(index, store, query_row, hits(index, order, d))
    if ranked and ranked[0].probability is None:
        raise InputError(f"{store.path}: no same-person probability for this store (too few confident cross-camera "
                         "matches to calibrate one on): give --max-distance")
    found = [h for h in ranked if h.probability is not None and h.probability >= min_probability]
    for k, h in enumerate(found):
        h.rank = k + 1
    return found


def forget(store_path: Path, hits: list[Hit], query: str, out: Path | None = None,  # noqa: PLR0913
           progress: bool = False, look_in: list[Path] | None = None) -> Forgotten:
    """Rewrite the store without ``hits``' tracklets (in place, atomically, unless ``out``), each
    left as a tombstone; in place, the outputs derived from the store (`stale_outputs`: under the
    store's folder and ``look_in``) are emptied and marked stale."""
    store = TrackletStore(store_path)
    incomplete = store.incomplete_cameras
    if incomplete:
        raise InputError(f"{store_path}: camera(s) {', '.join(incomplete)} still being extracted; finish extract "
                         "before removing anyone (their crops could not be searched)")
    drop: dict[str, set[int]] = {}
    for h in hits:
        drop.setdefault(h.camera, set()).add(h.tracklet)
    target = out or store_path
    tmp = target.with_name(target.name + ".forget-partial")
    tmp.unlink(missing_ok=True)  # ours, from a run that was killed
    try:
        _copy_without(store, tmp, drop, progress)
        store.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log = store_path.with_name(store_path.name + ".forget.log")
    stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    with open(log, "a") as fh:
        for h in hits:
            fh.write(f"{stamp} removed {h.camera} tracklet {h.tracklet} frames {h.first_frame}-{h.last_frame} "
                     f"distance {h.distance:.4f} from {target.name} (query: {query})\n")
    gone = 0
    outputs: list[tuple[Path, str, int]] = []
    if out is None:  # the old store's indexes and outputs hold the person's features and crops
        for p in index_files(store_path):
            p.unlink(missing_ok=True)
            gone += 1
        outputs = stale_outputs(store_path, [store_path.parent, *(look_in or [])],
                                f"`pipeline forget` removed {len(hits)} tracklet(s) from {store_path.name} on {stamp}")
    return Forgotten(hits, target, log, gone, outputs)


def stale_outputs(store_path: Path, look_in: list[Path], why: str) -> list[tuple[Path, str, int]]:
    """Every output folder derived from the store, directly or through another output (their
    manifests say; `tracklet_reid.manifest.derived_from`), emptied and marked stale with ``why`` and
    the command that remakes it: reports, CSVs, thumbnails, renders and exports show or index the
    removed person. A learn folder keeps its model (weights, no per-tracklet data) and loses its
    checkpoints, whose tracklet memory holds the person's features; the model is still trained on
    them, which only a new `learn` undoes (the stale note says so)."""
    from tracklet_reid.manifest import derived_from, mark_stale

    done = []
    for folder, data in derived_from([store_path], look_in):
        command = str(data.get("command"))
        rerun = f"; rerun `{data['argv']}`" if data.get("argv") else f"; rerun `pipeline {command}`"
        if command == "learn":
            keep = tuple(f for f in data.get("files", []) if not str(f).startswith("checkpoints"))
            n = mark_stale(folder, f"{why}: its checkpoints (the tracklet memory held their features) were "
                           f"deleted; the model was trained with them{rerun} to train without", keep)
        else:
            n = mark_stale(folder, f"{why}: this folder showed them, so its files were deleted{rerun}")
        done.append((folder, command, n))
    return done


def _copy_without(store: TrackletStore, tmp: Path, drop: dict[str, set[int]], progress: bool = False) -> None:
    from tqdm import tqdm

    info = store.info
    total = sum(store.camera(c).num_tracklets for c in store.cameras)
    with StoreWriter.same_format(tmp, info) as w, tqdm(total=total, unit="tracklet", desc="rewrite store",
                                                       disable=None if progress else True) as bar:
        w.set_attrs(**{k: v for k, v in store.attrs.items() if k not in _WRITER_ATTRS})
        for name in store.cameras:
            c = store.camera(name)
            cw = w.camera(name, **{k: v for k, v in c.attrs.items() if k not in ("complete", "checksum")})
            gone = drop.get(name, set())
            present = c.present()
            for t in range(c.num_tracklets):
                bar.update(1)
                row = c.tracklets[t]
                if t in gone or not present[t]:  # a tombstone keeps every later tracklet's number
                    cw.add_tombstone(int(row["track_id"]), (int(row["first_frame"]), int(row["last_frame"])))
                    continue
                ci = c.crop_indices(t)
                if info.encoding == "jpeg":
                    crops = [np.frombuffer(store.encoded_crop(name, int(i)), np.uint8) for i in ci]
                else:
                    crops = [store.crop(name, int(i)) for i in ci]
                cw.add_tracklet(crops, c.crop_frame[ci], c.crop_box[ci], c.crop_score[ci], int(row["track_id"]),
                                int(c.gt_identity[t]) if c.gt_identity is not None else -1,
                                encoded=info.encoding == "jpeg",
                                frame_range=(int(row["first_frame"]), int(row["last_frame"])))
            if c.tracklet_set is not None:
                cw.add_tracklet_column("tracklet_set", np.asarray(c.tracklet_set))
            cw.finish()
