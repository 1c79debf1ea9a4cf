"""`pipeline evaluate-mot`: CLEAR MOT and identity metrics of a MOT result against ground truth."""
from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate-mot", help="MOTA/IDF1 of a MOT result against ground truth")
    p.add_argument("--gt", required=True, help="MOTChallenge gt.txt")
    p.add_argument("--result", required=True, help="tracker output in MOT text")
    p.add_argument("--iou", type=float, default=0.5, help="match threshold (default 0.5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return print_mot_scores(args.gt, args.result, args.iou, args.json)


def print_mot_scores(gt_path: str, result_path: str, iou: float, as_json: bool) -> int:
    from detection.mot_text import read_mot
    from pipeline.table import format_table
    from tracking.mot_metrics import evaluate_mot

    s = evaluate_mot(read_mot(gt_path), read_mot(result_path), iou)
    d = s.as_dict()
    if as_json:
        print(json.dumps(d, indent=2))
    else:
        keys = ["mota", "idf1", "hota", "deta", "assa", "id_switches", "fragmentations", "precision", "recall",
                "mostly_tracked", "mostly_lost", "gt_identities"]
        print(format_table(keys, [[d[k] for k in keys]]))
    return 0
