"""A store's tracklets written out as a re-id training set in a public benchmark's layout, so that
other tools can train on what was mined: Market-1501 (images) or MARS (video tracklets).

Identities: each tracklet its own (what UTAL assumes), or the ids of `pipeline merge` /
`pipeline match` (their trajectories.csv / global_ids.csv). Cameras are numbered 1..C in the store's
order (cameras.txt says which is which). Everything goes to the training part; the test parts the
layouts require are written empty, so `pipeline import` reads the folder back. Crops are copied as
the store holds them (JPEG bytes, never re-encoded).

Market-1501 has no tracklets: importing it groups a person's images per camera, so a tracklet
boundary inside one (identity, camera) is lost there; MARS keeps every tracklet.
"""
from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reid.tracklet_index import TrackletIndex
from tracking.store import TrackletStore
from tracklet_reid.errors import InputError

LAYOUTS = ("mars", "market1501")
# what each layout's file names can hold (MARS: 4-digit person and tracklet, 1-digit camera,
# 3-digit frame; Market-1501's importer reads any number of digits but one-digit sequence numbers)
LIMITS: dict[str, dict[str, int | None]] = {
          "mars": {"ids": 9999, "cameras": 9, "tracklets": 9999, "crops": 999},
          "market1501": {"ids": 999999, "cameras": 99, "tracklets": None, "crops": None}}


@dataclass
class ExportSummary:
    layout: str
    tracklets: int
    images: int
    identities: int
    cameras: dict[str, int]  # store camera -> number in the file names


def read_labels(path: str | Path, index: TrackletIndex) -> np.ndarray:
    """(N,) identity per tracklet from merge's trajectories.csv or match's global_ids.csv, in the
    index's order; every tracklet must be in the file exactly once."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--labels {path}: no such file")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    column = next((c for c in ("global_id", "trajectory") if rows and c in rows[0]), None)
    if column is None or "camera" not in rows[0] or "tracklet" not in rows[0]:
        raise InputError(f"--labels {path}: not a trajectories.csv / global_ids.csv (needs camera, tracklet and "
                         "trajectory or global_id columns)")
    pos = {(index.cameras[c], int(t)): g for g, (c, t) in enumerate(zip(index.camera_of, index.local_of))}
    labels = np.full(index.num_tracklets, -1, np.int64)
    for r in rows:
        g = pos.get((r["camera"], int(r["tracklet"])))
        if g is None:
            raise InputError(f"--labels {path}: camera {r['camera']} tracklet {r['tracklet']} is not in the store "
                             "(removed by `pipeline forget` since the file was written? rerun merge / match)")
        labels[g] = int(r[column])
    missing = int((labels < 0).sum())
    if missing:
        raise InputError(f"--labels {path}: {missing} of the store's tracklets have no label (another store's file?)")
    return labels


# noqa reason: the store, where, which layout, whose ids, and the two switches
def export_dataset(store: TrackletStore, out: Path, layout: str,  # noqa: PLR0913
                   labels: np.ndarray | None = None, progress: bool = False,
                   blur_faces: bool = False, only: list[tuple[str, int]] | None = None) -> ExportSummary:
    """Write the store's tracklets into ``out`` (created; must not exist) in ``layout``;
    ``blur_faces`` blurs each crop's head region (`tracking.render.blur_crop_head`; the crops are
    then encoded again); ``only``: these (camera, tracklet) alone (one person: `--global-id`)."""
    if layout not in LAYOUTS:
        raise InputError(f"layout {layout!r}: one of {', '.join(LAYOUTS)}")
    index = TrackletIndex.from_store(store, store.cameras if only is None else sorted({c for c, _ in only}),
                                     select=None if only is None else _only(only))
    ids = np.arange(index.num_tracklets) if labels is None else labels
    _, ids = np.unique(ids, return_inverse=True)
    ids = ids + 1  # 0 is the layouts' distractor id
    _check_limits(layout, index, int(ids.max(initial=0)))
    cam_no = {c: i + 1 for i, c in enumerate(index.cameras)}
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # ours, left by an interrupted export: start it again
    try:
        images = _write(store, index, ids, cam_no, tmp, layout, progress, blur_faces)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, out)  # an interrupted export never leaves a folder that looks finished
    return ExportSummary(layout, index.num_tracklets, images, int(ids.max(initial=0)), cam_no)


def _only(members: list[tuple[str, int]]):
    """A `TrackletIndex.from_store` selection of these (camera, tracklet) addresses."""
    from reid.tracklet_index import training_tracklets

    wanted: dict[str, list[int]] = {}
    for c, t in members:
        wanted.setdefault(c, []).append(t)
    train = training_tracklets()

    def select(c) -> np.ndarray:
        mask = np.zeros(c.num_tracklets, bool)
        at = np.asarray([t for t in wanted.get(c.name, []) if 0 <= t < c.num_tracklets], np.int64)
        mask[at] = True
        return mask & train(c)

    return select


# noqa reason: the store, what to write (index, ids, camera numbers) and where and how
def _write(store: TrackletStore, index: TrackletIndex, ids: np.ndarray,  # noqa: PLR0913
           cam_no: dict[str, int], tmp: Path, layout: str, progress: bool, blur_faces: bool = False) -> int:
    from tqdm import tqdm

    from tracking.render import blur_crop_head, crop_margin
    from tracking.store import encode_crop

    names: list[str] = []
    info: list[list[int]] = []
    with tqdm(total=int(index.crop_count.sum()), unit="img", desc=f"export {layout}",
              disable=None if progress else True) as bar:
        for g in range(index.num_tracklets):
            cam = index.cameras[index.camera_of[g]]
            c, pid = cam_no[cam], int(ids[g])
            frames = store.camera(cam).crop_frame
            margin = crop_margin(store.camera(cam).attrs)
            folder = tmp / "bbox_train" / f"{pid:04d}" if layout == "mars" else tmp / "bounding_box_train"
            folder.mkdir(parents=True, exist_ok=True)
            start = len(names) + 1
            for k, i in enumerate(range(int(index.crop_start[g]), int(index.crop_start[g] + index.crop_count[g]))):
                if layout == "mars":
                    name = f"{pid:04d}C{c}T{g + 1:04d}F{k + 1:03d}.jpg"
                else:
                    # the last field is free in Market-1501 names: the tracklet keeps names unique
                    name = f"{pid:04d}_c{c}s1_{int(frames[i]) + 1:06d}_{g + 1:02d}.jpg"
                data = (bytes(encode_crop(blur_crop_head(store.crop(cam, i), margin), "jpeg")) if blur_faces
                        else store.encoded_crop(cam, i))
                (folder / name).write_bytes(data)
                names.append(name)
                bar.update(1)
            info.append([start, len(names), pid, c])
    _skeleton(tmp, layout, names, info)
    (tmp / "cameras.txt").write_text("".join(f"{n} {c}\n" for c, n in cam_no.items()))
    return len(names)


def _check_limits(layout: str, index: TrackletIndex, n_ids: int) -> None:
    lim = LIMITS[layout]
    over = [f"{what} {have} > {most}" for what, have, most in (
        ("identities", n_ids, lim["ids"]), ("cameras", len(index.cameras), lim["cameras"]),
        ("tracklets", index.num_tracklets, lim["tracklets"]),
        ("crops in one tracklet", int(index.crop_count.max(initial=0)), lim["crops"])) if most and have > most]
    if over:
        raise InputError(f"the {layout} layout's file names cannot hold this store ({', '.join(over)}); "
                         + ("try --layout market1501" if layout == "mars" else "export fewer cameras"))


def _skeleton(root: Path, layout: str, names: list[str], info: list[list[int]]) -> None:
    """The parts of the layout a reader expects besides the training images (left empty)."""
    if layout == "market1501":
        for sub in ("bounding_box_train", "bounding_box_test", "query"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        return
    from scipy.io import savemat

    (root / "bbox_train").mkdir(parents=True, exist_ok=True)
    (root / "bbox_test").mkdir(parents=True, exist_ok=True)
    (root / "info").mkdir(parents=True, exist_ok=True)
    (root / "info" / "train_name.txt").write_text("".join(n + "\n" for n in names))
    (root / "info" / "test_name.txt").write_text("")
    savemat(root / "info" / "tracks_train_info.mat", {"track_train_info": np.array(info, np.int64).reshape(-1, 4)})
    savemat(root / "info" / "tracks_test_info.mat", {"track_test_info": np.zeros((0, 4), np.int64)})
    savemat(root / "info" / "query_IDX.mat", {"query_IDX": np.zeros((1, 0), np.int64)})
