"""`pipeline track`: a tracker on MOTChallenge det.txt, MOT result text out."""
from __future__ import annotations

import argparse

from pipeline.flags import add_config_flags, overrides
from tracking.tracker_config import TrackerConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("track", help="tracker (--tracker) on MOTChallenge det.txt -> MOT result text")
    p.add_argument("detections", help="MOTChallenge det.txt")
    p.add_argument("-o", "--out", required=True, help="result file (frame,id,x,y,w,h,score,-1,-1,-1)")
    add_config_flags(p.add_argument_group("tracker"), TrackerConfig)
    p.add_argument("--min-score", type=float, default=None, help="drop detections below this score (default: keep all)")
    p.add_argument("--fps", type=float, help="sequence frame rate (default: seqinfo.ini beside det/, "
                   "else ages are plain frames)")
    p.add_argument("--gt", help="also evaluate against this gt.txt")
    p.add_argument("--overwrite", action="store_true", help="replace the result file if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    import numpy as np

    from detection.mot_text import read_mot, write_mot
    from detection.video import checked_fps, seqinfo_fps
    from pipeline.evaluate_mot import print_mot_scores
    from tracking.kalman import sort_box_model
    from tracking.run_tracker import track_detections
    from tracklet_reid.config_io import from_dict
    from tracklet_reid.output_paths import prepare_file

    det_path = Path(args.detections)
    checked_fps(args.fps)
    prepare_file(args.out, {"detections": det_path, "--gt": args.gt}, "MOT result file", replace=args.overwrite)
    dets = read_mot(det_path)
    cfg = from_dict(TrackerConfig, overrides(args, TrackerConfig), "flags")
    fps = args.fps or seqinfo_fps(det_path.parent.parent / "seqinfo.ini")
    cfg = cfg.validate()
    sort_box_model()  # builds the model (imports filterpy) outside the timed loop
    t0 = time.perf_counter()
    res = track_detections(dets, cfg, fps, min_score=args.min_score if args.min_score is not None else -np.inf)
    dt = time.perf_counter() - t0
    write_mot(args.out, res.frame, res.ids, res.boxes, res.score)
    frames = int(dets.frame.max(initial=-1)) + 1
    print(f"{det_path}: {frames} frames, {len(dets)} detections -> {len(np.unique(res.ids))} tracks, "
          f"{len(res)} boxes in {dt:.2f} s ({frames / max(dt, 1e-9):.0f} frames/s) -> {args.out}")
    if args.gt:
        print_mot_scores(args.gt, args.out, 0.5, False)
    return 0
