"""`pipeline evaluate-mot`: CLEAR MOT, identity and HOTA metrics of a MOT result against ground
truth; for a folder of cameras also the multi-camera scores (one identity matching over all)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

KEYS = ["mota", "idf1", "idp", "idr", "hota", "deta", "assa", "id_switches", "fragmentations", "precision",
        "recall", "mostly_tracked", "mostly_lost", "gt_identities"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate-mot", help="MOTA/IDF1/HOTA of a MOT result against ground truth",
                       description="A result file against a gt.txt, or a folder of per-camera results "
                       "(<camera>.txt, ids global across cameras) against a folder of per-camera ground "
                       "truth (<camera>.txt, <camera>/gt.txt or <camera>/gt/gt.txt): each camera, and all "
                       "cameras as one sequence (multi-camera IDF1/IDP/IDR and HOTA).")
    p.add_argument("--gt", required=True, help="MOTChallenge gt.txt, or a folder of them per camera")
    p.add_argument("--result", required=True, help="tracker output in MOT text, or a folder of <camera>.txt")
    p.add_argument("--iou", type=float, default=0.5, help="match threshold (default 0.5)")
    p.add_argument("--protocol", default="auto", choices=("auto", "mot15", "mot17"),
                   help="mot15: ground-truth rows flagged 0 ignored; mot17 (MOT16/17/20 ground truth, as TrackEval "
                   "scores it): only pedestrians scored, result boxes on distractors (people on vehicles, static "
                   "people, reflections) removed; auto (default): mot17 where the ground truth has class columns")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return print_mot_scores(args.gt, args.result, args.iou, args.json, args.protocol)


def frame_range_note(gt, result, where: str) -> str | None:
    """One line when the result and the ground truth cover different frames: every ground-truth
    box in frames the result never reached counts as missed, which is rarely what was meant."""
    if not len(gt) or not len(result):
        return None
    g0, g1 = int(gt.frame.min()), int(gt.frame.max())
    r0, r1 = int(result.frame.min()), int(result.frame.max())
    outside = int(((gt.frame < r0) | (gt.frame > r1)).sum())
    if outside == 0:
        return None
    return (f"{where}: the result covers frames {r0 + 1}-{r1 + 1}, the ground truth {g0 + 1}-{g1 + 1}: {outside} of "
            f"{len(gt)} ground-truth boxes lie outside the result's frames and count as missed (score a clip "
            "against its own frames of ground truth)")


def folder_scores(gt_dir: str | Path, result_dir: str | Path, iou: float = 0.5, protocol: str = "auto"):
    """Every ``<camera>.txt`` of ``result_dir`` against that camera's ground truth in ``gt_dir``."""
    from detection.file_detector import find_det_file
    from detection.mot_text import read_mot
    from tracking.mot_metrics import evaluate_multi_camera
    from tracklet_reid.errors import InputError

    # extract --mot-out writes <camera>.det.txt beside each <camera>.txt: those are detections
    files = sorted(f for f in Path(result_dir).glob("*.txt") if not f.name.endswith(".det.txt"))
    if not files:
        raise InputError(f"{result_dir}: no <camera>.txt result file in it")
    gts = {f.stem: read_mot(find_det_file(Path(gt_dir), f.stem, "gt")) for f in files}
    results = {f.stem: read_mot(f) for f in files}
    _warn_ranges((frame_range_note(gts[c], results[c], f"camera {c}") for c in gts))
    return evaluate_multi_camera(gts, results, iou, protocol)


def _warn_ranges(notes) -> None:
    import sys

    for note in notes:
        if note:
            print(f"pipeline evaluate-mot: warning: {note}", file=sys.stderr)


def print_mot_scores(gt_path: str, result_path: str, iou: float, as_json: bool, protocol: str = "auto") -> int:
    from detection.mot_text import read_mot
    from pipeline.table import format_table
    from tracking.mot_metrics import evaluate_mot
    from tracklet_reid.errors import InputError

    if Path(gt_path).is_dir() != Path(result_path).is_dir():
        raise InputError(f"--gt {gt_path} and --result {result_path}: give two files or two folders")
    if Path(result_path).is_dir():
        m = folder_scores(gt_path, result_path, iou, protocol)
        named = {**{c: s.as_dict() for c, s in m.cameras.items()}, "all cameras": m.overall.as_dict()}
        if as_json:
            print(json.dumps({"cameras": named, "multi_camera": named.pop("all cameras")}, indent=2))
        else:
            print(format_table(["camera", *KEYS], [[c, *[d[k] for k in KEYS]] for c, d in named.items()]))
        return 0
    gt, result = read_mot(gt_path), read_mot(result_path)
    _warn_ranges([frame_range_note(gt, result, result_path)])
    d = evaluate_mot(gt, result, iou, protocol).as_dict()
    if as_json:
        print(json.dumps(d, indent=2))
    else:
        print(format_table(KEYS, [[d[k] for k in KEYS]]))
    return 0
