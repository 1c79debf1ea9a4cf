"""MOTA, IDF1, HOTA and the CLEAR counts of a tracking result against MOTChallenge ground truth.

The metrics themselves come from TrackEval (the `trackeval` package, the MOTChallenge's own
evaluation code, maintained for numpy 2; motmetrics 1.4 breaks on numpy 2). We only build its
per-sequence input from arrays, with the MOT15 protocol (ground-truth rows whose flag, column 7,
is 0 are ignored; IoU threshold 0.5) or the MOT16/17 one (`mot17_preprocess`, as TrackEval's
MotChallenge2DBox does it): ground truth of the non-pedestrian classes (column 8) is not scored, and
a result box matched (IoU >= 0.5, one-to-one) to a distractor (a person on a vehicle, a static person,
a distractor, a reflection) is removed before scoring instead of counting as a false positive.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import asdict, dataclass

import numpy as np

from detection.mot_text import MotRows
from tracking.association import iou_matrix
from tracklet_reid.errors import InputError


@dataclass
class MotScores:
    mota: float
    idf1: float
    motp: float  # mean IoU of matched pairs
    id_switches: int
    fragmentations: int
    precision: float
    recall: float
    mostly_tracked: int
    partly_tracked: int
    mostly_lost: int
    gt_identities: int
    false_positives: int
    false_negatives: int
    idp: float
    idr: float
    hota: float = float("nan")  # HOTA, DetA, AssA: means over TrackEval's 19 IoU thresholds
    deta: float = float("nan")
    assa: float = float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def _remap(ids: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, inv = np.unique(ids, return_inverse=True)
    return inv.astype(np.int64), len(uniq)


PROTOCOLS = ("auto", "mot15", "mot17")
PEDESTRIAN = 1
# MOT16/17 classes whose boxes a tracker is not blamed for finding (TrackEval's distractor classes)
DISTRACTORS = (2, 7, 8, 12)  # person on vehicle, static person, distractor, reflection


def has_classes(gt: MotRows) -> bool:
    """Whether ground truth carries MOT16/17 class and visibility columns (8 and 9); MOT15 files put
    -1 or world coordinates there."""
    if gt.extra.shape[1] < 2 or not len(gt):
        return False
    cls, vis = gt.extra[:, 0], gt.extra[:, 1]
    return bool(np.all((cls == np.round(cls)) & (cls >= 1) & (cls <= 13)) and np.all((vis >= 0) & (vis <= 1)))


def mot17_preprocess(gt: MotRows, result: MotRows) -> tuple[MotRows, MotRows]:
    """The MOT16/17 protocol: result boxes matched to distractor ground truth removed, then only
    pedestrian ground truth with its flag set kept."""
    from tracking.association import min_cost_pairs

    cls = np.round(gt.extra[:, 0]).astype(np.int64)
    drop = np.zeros(len(result), bool)
    g_by, r_by = gt.by_frame(), result.by_frame()
    for f, ri in r_by.items():
        gi = g_by.get(f)
        if gi is None or not np.isin(cls[gi], DISTRACTORS).any():
            continue
        iou = iou_matrix(gt.boxes[gi], result.boxes[ri])
        score = np.where(iou >= 0.5 - np.finfo(float).eps, iou, 0.0)
        pairs = min_cost_pairs(-score, -np.finfo(float).eps)  # the matching TrackEval makes
        hit = np.isin(cls[gi[pairs[:, 0]]], DISTRACTORS)
        drop[ri[pairs[hit, 1]]] = True
    return gt.select((gt.score != 0) & (cls == PEDESTRIAN)), result.select(~drop)


def scored_rows(gt: MotRows, result: MotRows, protocol: str = "auto") -> tuple[MotRows, MotRows]:
    """The ground truth and result rows a protocol scores: mot15 (flagged ground truth), mot17
    (`mot17_preprocess`), or auto (mot17 where the ground truth has class columns, `has_classes`)."""
    if protocol not in PROTOCOLS:
        raise InputError(f"protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")
    if protocol == "mot17" or (protocol == "auto" and has_classes(gt)):
        if not has_classes(gt):
            raise InputError("the mot17 protocol needs ground truth with class and visibility columns (8 and 9)")
        return mot17_preprocess(gt, result)
    return gt.select(gt.score != 0), result


def evaluate_mot(gt: MotRows, result: MotRows, iou_threshold: float = 0.5, protocol: str = "auto") -> MotScores:
    """One camera's result against its ground truth, under ``protocol`` (`scored_rows`)."""
    if not 0 < iou_threshold <= 1:
        raise InputError(f"IoU threshold {iou_threshold}: must be in (0, 1]")
    return _score(_sequence(*scored_rows(gt, result, protocol)), iou_threshold)


# the multi-camera scores match reports (of MotScores' fields)
MULTI_CAMERA_KEYS = ("idf1", "idp", "idr", "hota", "deta", "assa", "mota", "id_switches")


@dataclass
class MultiCameraScores:
    """Every camera scored alone, and all cameras as one sequence (``overall``)."""

    overall: MotScores
    cameras: dict[str, MotScores]


def evaluate_multi_camera(gts: dict[str, MotRows], results: dict[str, MotRows],
                          iou_threshold: float = 0.5, protocol: str = "auto") -> MultiCameraScores:
    """Multi-camera IDF1/IDP/IDR and HOTA the MTMC way (DukeMTMC, CityFlow): the cameras' sequences
    are concatenated with frame offsets into one, so one identity matching holds over all cameras:
    a person given one id in camera A and another in camera B loses the frames of one of them. Ids
    must be global (the same person has the same id in every camera) in both the ground truth and
    the result. A camera with ground truth and no result counts all its people as missed."""
    if not 0 < iou_threshold <= 1:
        raise InputError(f"IoU threshold {iou_threshold}: must be in (0, 1]")
    extra = sorted(set(results) - set(gts))
    if extra:
        raise InputError(f"results for camera(s) {', '.join(extra)} have no ground truth")
    cams = sorted(gts)
    if not cams:
        raise InputError("no camera to score")
    empty = MotRows(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0), np.zeros((0, 0)))
    kept = {c: scored_rows(gts[c], results.get(c, empty), protocol) for c in cams}
    gt_rows = {c: kept[c][0] for c in cams}
    res_rows = {c: kept[c][1] for c in cams}
    per_cam = {c: _score(_sequence(gt_rows[c], res_rows[c]), iou_threshold) for c in cams}
    offset, gt_all, res_all = 0, [], []
    for c in cams:
        g, r = gt_rows[c], res_rows[c]
        gt_all.append(_shifted(g, offset))
        res_all.append(_shifted(r, offset))
        offset += int(max(g.frame.max(initial=-1), r.frame.max(initial=-1))) + 1
    return MultiCameraScores(_score(_sequence(_concat(gt_all), _concat(res_all)), iou_threshold), per_cam)


def _shifted(rows: MotRows, offset: int) -> MotRows:
    return MotRows(rows.frame + offset, rows.ids, rows.boxes, rows.score, rows.extra[:, :0])


def _concat(parts: list[MotRows]) -> MotRows:
    return MotRows(np.concatenate([p.frame for p in parts]), np.concatenate([p.ids for p in parts]),
                   np.concatenate([p.boxes for p in parts]), np.concatenate([p.score for p in parts]),
                   np.zeros((sum(len(p) for p in parts), 0)))


def _sequence(gt: MotRows, result: MotRows) -> dict:
    """TrackEval's per-sequence input (ground truth already without its ignored rows)."""
    g_ids, n_gid = _remap(gt.ids)
    t_ids, n_tid = _remap(result.ids)
    # only frames with a box count: an empty frame adds nothing to CLEAR or Identity, and a row
    # with a huge frame number must not cost a loop over every frame up to it
    present = np.union1d(gt.frame, result.frame)
    g_by, t_by = gt.by_frame(), result.by_frame()
    empty = np.zeros(0, np.int64)
    gt_ids, tracker_ids, similarity = [], [], []
    for t in present.tolist():
        gi, ti = g_by.get(t, empty), t_by.get(t, empty)
        gt_ids.append(g_ids[gi])
        tracker_ids.append(t_ids[ti])
        similarity.append(iou_matrix(gt.boxes[gi], result.boxes[ti]))
    return {"gt_ids": gt_ids, "tracker_ids": tracker_ids, "similarity_scores": similarity,
            "num_timesteps": len(present), "num_gt_dets": len(gt), "num_tracker_dets": len(result),
            "num_gt_ids": n_gid, "num_tracker_ids": n_tid}


def _score(data: dict, iou_threshold: float) -> MotScores:
    from trackeval.metrics import CLEAR, HOTA, Identity

    with contextlib.redirect_stdout(io.StringIO()):  # TrackEval prints its config
        clear = CLEAR({"THRESHOLD": iou_threshold, "PRINT_CONFIG": False}).eval_sequence(data)
        ident = Identity({"THRESHOLD": iou_threshold, "PRINT_CONFIG": False}).eval_sequence(data)
        hota = HOTA({"PRINT_CONFIG": False}).eval_sequence(data)
    return MotScores(
        mota=float(clear["MOTA"]), idf1=float(ident["IDF1"]), motp=float(clear["MOTP"]),
        id_switches=int(clear["IDSW"]), fragmentations=int(clear["Frag"]),
        precision=float(clear["CLR_Pr"]), recall=float(clear["CLR_Re"]),
        mostly_tracked=int(clear["MT"]), partly_tracked=int(clear["PT"]), mostly_lost=int(clear["ML"]),
        gt_identities=int(data["num_gt_ids"]), false_positives=int(clear["CLR_FP"]),
        false_negatives=int(clear["CLR_FN"]), idp=float(ident["IDP"]), idr=float(ident["IDR"]),
        hota=float(np.mean(hota["HOTA"])), deta=float(np.mean(hota["DetA"])), assa=float(np.mean(hota["AssA"])),
    )
