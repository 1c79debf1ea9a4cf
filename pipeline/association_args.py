"""The arguments merge and match share: the store, the model, the output folder, the tracker
output to relabel, the baseline to compare with, and how tracklets are embedded."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.flags import add_config_flags
from reid.models.embedding_config import EmbedConfig

if TYPE_CHECKING:
    from reid.models.embedding import TrackletFeatures
    from reid.tracklet_index import TrackletIndex
    from tracking.store import TrackletStore


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--model", required=True, help="a `pipeline learn` folder, or a baseline: "
                   "imagenet:BACKBONE[:WEIGHTS] or colour")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--mot", help="folder of the cameras' tracker output (extract --mot-out) to relabel")
    p.add_argument("--baseline", default="auto", help="features to compare with (default: the model's "
                   "backbone with the weights it started from; 'none' to skip)")
    add_config_flags(p.add_argument_group("embedding"), EmbedConfig)
    p.add_argument("--blur-faces", action="store_true", help="blur the head region of every picture in the "
                   "report and contact sheets (the top 22 %% of each person box)")
    p.add_argument("-q", "--quiet", action="store_true")


def check_mot_flags(mot_dir: str | None, gt_dir: str | None = None) -> None:
    from tracklet_reid.errors import InputError

    if gt_dir and not mot_dir:
        raise InputError("--gt scores the tracker output before and after: it needs --mot")
    if mot_dir and not Path(mot_dir).is_dir():
        raise InputError(f"--mot {mot_dir}: no such folder")


def check_tracks_belong(idx: TrackletIndex, store: TrackletStore, mot_dir: str | None,
                        min_share: float = 0.5) -> None:
    """Refuse tracker output that did not make the store's tracklets: for each camera, most
    tracklets must have a crop whose box is in the MOT file under the tracklet's track id at that
    frame (IoU > 0.3: the file holds the Kalman boxes, the store the detections; a track is only
    written once confirmed, so its first crops may be missing)."""
    from detection.mot_text import read_mot
    from tracklet_reid.errors import InputError

    if not mot_dir:
        return
    for c, sl in enumerate(idx.camera_slices):
        cam = idx.cameras[c]
        path = Path(mot_dir) / f"{cam}.txt"
        if not path.is_file():
            raise InputError(f"--mot {mot_dir}: no tracker output for camera {cam} ({path.name} missing)")
        rows = read_mot(path)
        boxes = {(int(f), int(i)): b for f, i, b in zip(rows.frame, rows.ids, rows.boxes)}
        cd = store.camera(cam)
        found = 0
        for j in idx.local_of[sl]:
            tid = int(cd.tracklets["track_id"][j])
            found += any(_iou(b, cd.crop_box[ci]) > 0.3 for ci in cd.crop_indices(int(j))
                         if (b := boxes.get((int(cd.crop_frame[ci]), tid))) is not None)
        share = found / max(sl.stop - sl.start, 1)
        if share < min_share:
            raise InputError(f"--mot {path}: only {share:.0%} of camera {cam}'s tracklets are in it; it is not "
                             "the tracker output this store was extracted with")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def embed_for_association(store: str, model: str, emb: EmbedConfig, mot_dir: str | None,
                          quiet: bool) -> TrackletFeatures:
    """The store's tracklets embedded by ``model``, once the tracker output is known to be theirs."""
    from reid.models.embedding import embed_store
    from reid.tracklet_index import TrackletIndex
    from tracking.store import TrackletStore

    st = TrackletStore(store)
    index = TrackletIndex.from_store(st)
    check_tracks_belong(index, st, mot_dir)
    return embed_store(st, model, emb, progress=not quiet, index=index)


def embed_baseline(tf: TrackletFeatures, baseline: str | None, emb: EmbedConfig, command: str,
                   quiet: bool) -> TrackletFeatures | None:
    """The same tracklets embedded by the baseline, at the model's input size; a baseline that
    cannot be loaded is skipped with one line (the comparison is extra, the result is not)."""
    from reid.models.embedding import embed_store
    from tracklet_reid.errors import InputError

    if not baseline:
        return None
    try:
        return embed_store(tf.store, baseline, emb, progress=not quiet, input_hw=tf.input_hw, index=tf.index)
    except InputError as exc:
        print(f"pipeline {command}: baseline skipped: {exc}", file=sys.stderr)
        return None


def baseline_spec(args: argparse.Namespace) -> str | None:
    from reid.models.embedding import baseline_for

    if args.baseline == "none":
        return None
    return baseline_for(args.model) if args.baseline == "auto" else args.baseline
