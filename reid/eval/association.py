"""Ground-truth scores of merge and match: NMI and cross-camera pair scores on stores whose
tracklets carry identities, and MOT / multi-camera IDF1 and HOTA of the relabelled tracker output.
The command line and the Python API both score through `score_merge` and `score_match`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from detection.mot_text import MotRows
from reid.eval.cluster_metrics import nmi, pairwise_precision_recall
from reid.eval.cross_camera import cross_camera_retrieval
from reid.tracklet_index import TrackletIndex
from tracking.mot_files import read_camera_gt, read_camera_tracks, read_network_gt, relabelled_tracks, track_identities
from tracking.mot_metrics import MotScores, evaluate_mot, evaluate_multi_camera
from tracklet_reid.errors import InputError

if TYPE_CHECKING:
    from tracking.store import TrackletStore


def labelled_nmi(index: TrackletIndex, labels: np.ndarray, rows: slice = slice(None),
                 within_camera: bool = False) -> float | None:
    """NMI of ``labels`` against the identities of the labelled tracklets among ``rows`` (None when
    fewer than two are labelled). ``within_camera``: the truth is (identity, camera), the grouping
    that merging within cameras can reach."""
    gt = index.gt[rows]
    known = gt >= 0
    if known.sum() < 2:
        return None
    truth = gt[known] * (len(index.cameras) + 1) + index.camera_of[rows][known] if within_camera else gt[known]
    return nmi(truth, labels[rows][known])


def merge_nmi(index: TrackletIndex, labels: np.ndarray) -> dict:
    """Merge's NMI three ways. The paper's Table 6 does not say how it pools; on MARS its counts
    (8,298 tracklets in 5,441 groups, 625 people) bound a pooled NMI against identity alone at
    0.864 (arithmetic normalisation), below the 0.896 it prints, so its NMI is taken within
    cameras: ``nmi`` (pooled, truth = identity and camera) is the one to compare with it."""
    per_cam = [labelled_nmi(index, labels, sl) for sl in index.camera_slices]
    known = [v for v in per_cam if v is not None]
    return {"nmi": labelled_nmi(index, labels, within_camera=True),
            "nmi_identity": labelled_nmi(index, labels),
            "nmi_mean_per_camera": float(np.mean(known)) if known else None}


def oracle_trajectories(index: TrackletIndex) -> np.ndarray:
    """Merge's ceiling: the trajectories a merge that knew every identity would make under
    merge's own constraints (within one camera; no two tracklets of a trajectory overlapping in
    time), labels in ``index``'s order. Each labelled tracklet, in start order, joins the first
    earlier set of its identity it does not overlap; a tracklet without identity stays alone."""
    from reid.association.union_find import TimedUnionFind

    first, last = index.spans()
    sets = TimedUnionFind(first, last)
    known = np.flatnonzero(index.gt >= 0)
    order = known[np.lexsort((first[known], index.gt[known], index.camera_of[known]))]
    key = index.camera_of[order] * (int(index.gt.max(initial=0)) + 1) + index.gt[order]
    for group in np.split(order, np.flatnonzero(np.diff(key)) + 1):
        for n, t in enumerate(group[1:], start=1):
            for earlier in group[:n]:
                if sets.union(int(earlier), int(t)):
                    break
    _, labels = np.unique([sets.find(i) for i in range(index.num_tracklets)], return_inverse=True)
    return labels.astype(np.int64)


def identity_scores(index: TrackletIndex, labels: np.ndarray, features: torch.Tensor) -> dict:
    """Global identities against ground truth: cross-camera pair precision / recall and the
    cross-camera retrieval Rank-1 / 5 and mAP of the features."""
    res: dict = {"global_identities": int(labels.max(initial=-1)) + 1}
    known = np.flatnonzero(index.gt >= 0)
    if len(known) >= 2:
        cams = index.camera_of[known]
        pr = pairwise_precision_recall(index.gt[known], labels[known], lambda i, j: cams[i] != cams[j])
        res.update({"cross_camera_precision": pr["precision"], "cross_camera_recall": pr["recall"]})
        r = cross_camera_retrieval(features, index)
        if r is not None:
            res.update({"rank1": r.rank(1), "rank5": r.rank(5), "mAP": r.mAP})
    return res


def labelled_tracks(store: TrackletStore, index: TrackletIndex, labels: np.ndarray,
                    mot_dir: str | None) -> dict[str, MotRows]:
    """camera -> MotRows with ids ``labels + 1``: the tracker output relabelled when ``mot_dir`` is
    given, else the boxes of the stored crops. Tracks that did not become tracklets get ids unique
    over all cameras, so that multi-camera scores never read two of them as one person."""
    out = {}
    offset = int(labels.max(initial=-1)) + 2
    for c, sl in enumerate(index.camera_slices):
        cam = index.cameras[c]
        cd = store.camera(cam)
        if mot_dir:
            tomb = cd.tracklets[~cd.present()]
            rows = relabelled_tracks(mot_dir, cam, cd.tracklets["track_id"][index.local_of[sl]], labels[sl] + 1,
                                     offset, tomb)
            offset = max(offset, int(rows.ids.max(initial=0)) + 1)
            out[cam] = rows
            continue
        ci = [cd.crop_indices(int(j)) for j in index.local_of[sl]]
        if ci:
            cat = np.concatenate(ci)
            ids = np.repeat(labels[sl] + 1, [len(x) for x in ci])
            out[cam] = MotRows(cd.crop_frame[cat], ids, cd.crop_box[cat], cd.crop_score[cat], np.zeros((len(cat), 0)))
    return out


@dataclass
class MergeScores:
    """Merge against ground truth: NMI where the store's tracklets carry identities, and each
    camera's MOTA / IDF1 / ID switches before and after where the tracker output and its ground
    truth are given."""

    nmi: float | None = None  # pooled, truth = (identity, camera): the paper's Table 6 (see merge_nmi)
    nmi_identity: float | None = None
    nmi_mean_per_camera: float | None = None
    cameras: dict[str, dict] = field(default_factory=dict)  # camera -> nmi, nmi_before, before, after

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MatchScores:
    """Match against ground truth: cross-camera pair precision / recall and retrieval where the
    store's tracklets carry identities; multi-camera IDF1 / HOTA of the relabelled tracker output
    (``multi_camera``) and of the tracks as extracted (``tracks``, every track its own person)
    where the tracker output and its ground truth are given."""

    global_identities: int
    cross_camera_precision: float | None = None
    cross_camera_recall: float | None = None
    rank1: float | None = None
    rank5: float | None = None
    mAP: float | None = None
    multi_camera: MotScores | None = None
    tracks: MotScores | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def score_merge(store: TrackletStore, index: TrackletIndex, labels: np.ndarray,  # noqa: PLR0913
                mot_dir: str | None = None, gt_dir: str | None = None, before: bool = True) -> MergeScores:
    """Trajectory ``labels`` (in ``index``'s order) against what ground truth there is;
    ``before``: also score the tracker output as it is (the same for every model compared)."""
    scores = MergeScores(cameras={cam: {} for cam in index.cameras})
    if (index.gt >= 0).any():
        for c, sl in enumerate(index.camera_slices):
            scores.cameras[index.cameras[c]].update(nmi=labelled_nmi(index, labels, sl),
                                                    nmi_before=labelled_nmi(index, np.arange(index.num_tracklets), sl))
        for key, value in merge_nmi(index, labels).items():
            setattr(scores, key, value)
    if mot_dir and gt_dir:
        after = labelled_tracks(store, index, labels, mot_dir)
        for cam in index.cameras:
            gt = read_camera_gt(gt_dir, cam)
            scores.cameras[cam]["after"] = evaluate_mot(gt, after[cam])
            if before:
                scores.cameras[cam]["before"] = evaluate_mot(gt, read_camera_tracks(mot_dir, cam))
    return scores


def score_match(store: TrackletStore, index: TrackletIndex, labels: np.ndarray,  # noqa: PLR0913
                features: torch.Tensor, mot_dir: str | None = None, gt_dir: str | None = None,
                before: bool = True) -> MatchScores:
    """Global identity ``labels`` (in ``index``'s order) against what ground truth there is;
    ``features``: those the cross-camera links compared (retrieval is scored on them);
    ``before``: also score the tracks as extracted (the same for every model compared)."""
    scores = MatchScores(**identity_scores(index, labels, features))
    if mot_dir and gt_dir:
        gts = read_network_gt(gt_dir, index.cameras)
        if before:
            scores.tracks = evaluate_multi_camera(gts, track_identities(mot_dir, index.cameras)).overall
        scores.multi_camera = evaluate_multi_camera(gts, labelled_tracks(store, index, labels, mot_dir)).overall
    return scores


def check_mot_dirs(mot_dir: str | None, gt_dir: str | None = None, cameras: list[str] | None = None) -> None:
    """Ground truth scores the tracker output before and after: it needs that output, in a folder,
    and a folder of ground truth with a file for each of ``cameras`` (checked before any work)."""
    from detection.file_detector import find_det_file
    from tracking.mot_files import find_track_file

    if gt_dir and not mot_dir:
        raise InputError("--gt scores the tracker output before and after: it needs --mot")
    if mot_dir and not Path(mot_dir).is_dir():
        raise InputError(f"--mot {mot_dir}: no such folder")
    if gt_dir and not Path(gt_dir).is_dir():
        what = "is a file" if Path(gt_dir).exists() else "no such folder"
        raise InputError(f"--gt {gt_dir}: {what}; give the folder of per-camera ground truth (<camera>.txt, "
                         "<camera>/gt.txt or <camera>/gt/gt.txt, one per camera of the store)")
    for cam in cameras or []:
        if mot_dir:
            find_track_file(mot_dir, cam)
        if gt_dir:
            find_det_file(Path(gt_dir), cam, "gt")


def check_tracks_belong(idx: TrackletIndex, store: TrackletStore, mot_dir: str | None,
                        min_share: float = 0.5) -> None:
    """Refuse tracker output that did not make the store's tracklets: for each camera, most
    tracklets must have a crop whose box is in the MOT file under the tracklet's track id at that
    frame (IoU > 0.3: the file holds the Kalman boxes, the store the detections; a track is only
    written once confirmed, so its first crops may be missing)."""
    if not mot_dir:
        return
    for c, sl in enumerate(idx.camera_slices):
        cam = idx.cameras[c]
        path = Path(mot_dir) / f"{cam}.txt"
        if not path.is_file():
            raise InputError(f"--mot {mot_dir}: no tracker output for camera {cam} ({path.name} missing)")
        rows = read_camera_tracks(mot_dir, cam)
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
