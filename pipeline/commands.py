"""Sub-command definitions. Parsers are built without heavy imports; each `run_*` imports its
stage when it runs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_inspect(sub) -> None:
    p = sub.add_parser("inspect", help="summarise a tracklet store (cameras, tracklets, crops, size)")
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    from pipeline.table import format_table
    from tracking.store import TrackletStore
    from tracking.store_summary import summarize

    with TrackletStore(args.store) as store:
        s = summarize(store)
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        t = s["total"]
        print(
            f"{s['file']}: schema v{s['schema_version']}, crops {s['crop_size'][0]}x{s['crop_size'][1]} "
            f"{s['crop_encoding']}, {s['bytes_on_disk'] / 1e6:.1f} MB on disk, created by "
            f"{s['created_by']} at {s['created_at']}"
        )
        headers = ["camera", "complete", "tracklets", "crops", "len min", "len median", "len max", "gt ids"]
        rows = [
            [c["camera"], c["complete"], c["tracklets"], c["crops"], c["length_min"],
             c["length_median"], c["length_max"], c["identities"]]
            for c in s["cameras"]
        ]
        rows.append(["total", f"{t['complete_cameras']}/{t['cameras']}", t["tracklets"], t["crops"],
                     t["length_min"], t["length_median"], t["length_max"], None])
        print(format_table(headers, rows))
    incomplete = [c["camera"] for c in s["cameras"] if not c["complete"]]
    if incomplete:
        print(
            f"pipeline inspect: error: {s['file']}: camera(s) {', '.join(incomplete)} incomplete "
            "(writer interrupted); rerun extract to resume them",
            file=sys.stderr,
        )
        return 1
    if not s["cameras"]:
        print(f"pipeline inspect: error: {s['file']}: store holds no camera", file=sys.stderr)
        return 1
    return 0


def _tracker_flags(p) -> None:
    g = p.add_argument_group("tracker (SORT)")
    g.add_argument("--max-age", type=int, help="frames a track lives without detection (default 1)")
    g.add_argument("--min-hits", type=int, help="hits before a track is reported (default 3)")
    g.add_argument("--iou-threshold", type=float, help="minimum IoU to associate (default 0.3)")
    g.add_argument("--reference-fps", type=float,
                   help="frame rate the ages are counted at; rescaled to the video's fps (extract default 10)")


def _tracker_overrides(a: argparse.Namespace, prefix: str = "tracker.") -> dict:
    return {prefix + "max_age": a.max_age, prefix + "min_hits": a.min_hits,
            prefix + "iou_threshold": a.iou_threshold, prefix + "reference_fps": a.reference_fps}


def add_extract(sub) -> None:
    p = sub.add_parser("extract", help="videos -> detections -> tracks -> tracklet store",
                       description="Detect people, track them per camera (SORT) and store tracklets. "
                       "Interrupted runs resume at the first camera not complete.")
    p.add_argument("--videos", required=True, help="folder: <camera>.<video>, <camera>/ of videos, or "
                   "<camera>/img1/ image sequences")
    p.add_argument("-o", "--out", required=True, help="tracklet store to write (.h5)")
    p.add_argument("--config", help="YAML file of settings (flags override it)")
    g = p.add_argument_group("detector")
    g.add_argument("--detector", choices=["yolo", "darknet", "onnx", "motion", "file"],
                   help="backend (default yolo; offline: darknet, onnx, motion, file)")
    g.add_argument("--weights", help="yolo: name or .pt; darknet: .weights; onnx: .onnx")
    g.add_argument("--cfg", help="darknet .cfg file")
    g.add_argument("--detections", help="file backend: folder with <camera>.txt or <camera>/det/det.txt")
    g.add_argument("--device", help="yolo device, e.g. cpu, cuda:0 (default: automatic)")
    g.add_argument("--input-size", type=int, help="network input side in pixels")
    g.add_argument("--batch-size", type=int, help="frames per detector call")
    g.add_argument("--min-score", type=float, help="detection confidence threshold (default 0.3)")
    g.add_argument("--min-height", type=float, help="smallest person height in pixels (default 16)")
    _tracker_flags(p)
    g = p.add_argument_group("tracklets")
    g.add_argument("--min-length", type=int, help="drop tracks with fewer detections (default 5)")
    g.add_argument("--max-crops", type=int, help="crops kept per tracklet, evenly spaced (default 64; 0 all)")
    g.add_argument("--crop-size", help="crop height x width (default 256x128)")
    g.add_argument("--crop-encoding", choices=["jpeg", "raw"], help="default jpeg (17x smaller, see docs)")
    p.add_argument("--fps", type=float, help="override the videos' frame rate")
    p.add_argument("--workers", type=int, help="cameras processed in parallel (default 1)")
    p.add_argument("--mot-out", help="folder for each camera's tracks (and detections) as MOT text")
    p.add_argument("--gt", help="folder of MOTChallenge gt per camera (<camera>.txt or <camera>/gt/gt.txt): "
                   "labels tracklets with true identities for evaluation only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=run_extract)


def run_extract(a: argparse.Namespace) -> int:
    from detection.errors import InputError
    from pipeline.config import ExtractConfig, load_config
    from pipeline.extract import run_extract as extract

    crop_h = crop_w = None
    if a.crop_size:
        try:
            crop_h, crop_w = (int(v) for v in a.crop_size.lower().split("x"))
        except ValueError:
            raise InputError(f"--crop-size {a.crop_size!r}: expected HEIGHTxWIDTH, e.g. 256x128") from None
    overrides = {
        "detector.backend": a.detector, "detector.weights": a.weights, "detector.cfg": a.cfg,
        "detector.detections": a.detections, "detector.device": a.device, "detector.input_size": a.input_size,
        "detector.batch_size": a.batch_size, "detector.min_score": a.min_score,
        "detector.min_height": a.min_height, **_tracker_overrides(a),
        "tracklets.min_length": a.min_length, "tracklets.max_crops": a.max_crops,
        "tracklets.crop_height": crop_h, "tracklets.crop_width": crop_w,
        "crop_encoding": a.crop_encoding, "fps": a.fps, "workers": a.workers,
    }
    cfg = load_config(ExtractConfig, a.config, overrides)
    extract(a.videos, a.out, cfg, mot_dir=a.mot_out, quiet=a.quiet, gt_dir=a.gt)
    return 0


def add_track(sub) -> None:
    p = sub.add_parser("track", help="SORT tracker on MOTChallenge det.txt -> MOT result text")
    p.add_argument("detections", help="MOTChallenge det.txt")
    p.add_argument("-o", "--out", required=True, help="result file (frame,id,x,y,w,h,score,-1,-1,-1)")
    _tracker_flags(p)
    p.add_argument("--min-score", type=float, default=None, help="drop detections below this score")
    p.add_argument("--fps", type=float, help="sequence frame rate (default: seqinfo.ini beside det/, "
                   "else ages are plain frames)")
    p.add_argument("--gt", help="also evaluate against this gt.txt")
    p.set_defaults(func=run_track)


def run_track(a: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    import numpy as np

    from detection.mot_text import read_mot, write_mot
    from detection.video import _seqinfo_fps
    from pipeline.config import from_dict
    from tracking.kalman import sort_box_model
    from tracking.run_tracker import track_detections
    from tracking.sort import TrackerConfig

    det_path = Path(a.detections)
    dets = read_mot(det_path)
    cfg = from_dict(TrackerConfig, {k.split(".")[1]: v for k, v in _tracker_overrides(a).items() if v is not None},
                    "flags")
    fps = a.fps or _seqinfo_fps(det_path.parent.parent / "seqinfo.ini")
    cfg = cfg.validate().for_fps(fps)
    sort_box_model()  # builds the model (imports filterpy) outside the timed loop
    t0 = time.perf_counter()
    res = track_detections(dets, cfg, min_score=a.min_score if a.min_score is not None else -np.inf)
    dt = time.perf_counter() - t0
    write_mot(a.out, res.frame, res.ids, res.boxes, res.score)
    frames = int(dets.frame.max(initial=-1)) + 1
    print(f"{det_path}: {frames} frames, {len(dets)} detections -> {len(np.unique(res.ids))} tracks, "
          f"{len(res)} boxes in {dt:.2f} s ({frames / max(dt, 1e-9):.0f} frames/s) -> {a.out}")
    if a.gt:
        _print_mot_scores(a.gt, a.out, 0.5, False)
    return 0


def add_evaluate_mot(sub) -> None:
    p = sub.add_parser("evaluate-mot", help="MOTA/IDF1 of a MOT result against ground truth")
    p.add_argument("--gt", required=True, help="MOTChallenge gt.txt")
    p.add_argument("--result", required=True, help="tracker output in MOT text")
    p.add_argument("--iou", type=float, default=0.5, help="match threshold (default 0.5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _print_mot_scores(a.gt, a.result, a.iou, a.json))


def _print_mot_scores(gt_path: str, result_path: str, iou: float, as_json: bool) -> int:
    from detection.mot_text import read_mot
    from pipeline.table import format_table
    from tracking.mot_metrics import evaluate_mot

    gt = read_mot(gt_path)
    res = read_mot(result_path)
    s = evaluate_mot(gt, res, iou)
    if as_json:
        print(json.dumps(s.as_dict(), indent=2))
    else:
        d = s.as_dict()
        keys = ["mota", "idf1", "id_switches", "fragmentations", "precision", "recall",
                "mostly_tracked", "mostly_lost", "gt_identities"]
        print(format_table(keys, [[d[k] for k in keys]]))
    return 0


def add_import(sub) -> None:
    from_formats = ["market1501", "dukemtmc-reid", "msmt17", "cuhk03-labeled", "cuhk03-detected", "mars",
                    "ilids-vid", "prid2011", "dukemtmc-videoreid", "dukemtmc-si-tracklet"]
    p = sub.add_parser("import", help="import a public re-id benchmark into a tracklet store",
                       description="Reads the benchmark's official folder layout; see the README for each one.")
    p.add_argument("format", choices=from_formats)
    p.add_argument("root", help="the benchmark's folder")
    p.add_argument("-o", "--out", required=True, help="store to create (.h5)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run_import)


def run_import(a: argparse.Namespace) -> int:
    from reid.benchmarks import FORMATS, write_benchmark

    bench = FORMATS[a.format](Path(a.root))
    counts = write_benchmark(bench, Path(a.out), progress=not a.quiet)
    roles = {0: "train", 1: "query", 2: "gallery", 3: "test (by split)"}
    by_role = {}
    for it in bench.items:
        by_role[roles[it.role]] = by_role.get(roles[it.role], 0) + 1
    print(f"{bench.name}: {counts['tracklets']} tracklets ({', '.join(f'{v} {k}' for k, v in by_role.items())}), "
          f"{counts['images']} images -> {a.out}" + (f"; {counts['unreadable']} unreadable image(s) skipped"
                                                   if counts["unreadable"] else "")
          + (f"; {len(bench.splits)} splits saved" if bench.splits else ""))
    return 0


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="CMC/mAP/mINP of a model on an imported benchmark store")
    p.add_argument("--model", required=True, help="a `pipeline learn` folder, or imagenet:BACKBONE[:WEIGHTS], colour")
    p.add_argument("--data", required=True, help="store from `pipeline import`")
    p.add_argument("--split", type=int, help="PRID2011 / iLIDS-VID split (0-9)")
    p.add_argument("--frames", type=int, default=0, help="frames per tracklet, evenly spaced (0: all)")
    p.add_argument("--device")
    p.add_argument("--rerank", action="store_true", help="k-reciprocal re-ranking (Zhong et al. 2017; k1 20, "
                   "k2 6, lambda 0.3)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_evaluate)


def run_evaluate(a: argparse.Namespace) -> int:
    from pipeline.table import format_table
    from reid.benchmark_eval import evaluate_store

    r, info = evaluate_store(a.model, a.data, a.split, a.frames, a.device, progress=not a.json, rerank=a.rerank)
    d = {**info, **r.as_dict()}
    if a.json:
        print(json.dumps(d, indent=2, default=float))
    else:
        print(f"{info['benchmark']} ({info['queries']} queries, {info['gallery']} gallery), {info['model']}"
              + (f", split {a.split}" if a.split is not None else "") + (", re-ranked" if a.rerank else ""))
        print(format_table(["Rank-1", "Rank-5", "Rank-10", "Rank-20", "mAP", "mINP", "skipped queries"],
                           [[d["rank1"], d["rank5"], d["rank10"], d["rank20"], d["mAP"], d["mINP"],
                             d["num_skipped"]]]))
    return 0


def add_learn(sub) -> None:
    p = sub.add_parser("learn", help="UTAL: learn a re-id model from a tracklet store, without labels",
                       description="Unsupervised Tracklet Association Learning (Li, Zhu, Gong, TPAMI 2019). "
                       "Defaults are the paper's; every setting can come from --config YAML or a flag.")
    p.add_argument("store", help="tracklet store (.h5) from extract or import")
    p.add_argument("-o", "--out", required=True, help="output folder (model, checkpoints, metrics)")
    p.add_argument("--config", help="YAML file of LearnConfig settings (flags override it)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--backbone", choices=["resnet50", "resnet18", "mobilenet_v2"])
    p.add_argument("--pretrained", help="imagenet (torchvision, online), a weights file/folder, or none")
    p.add_argument("--embed-dim", type=int, help="embedding size (default 2048, the paper's)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--input-size", help="HEIGHTxWIDTH of network input (default 256x128)")
    p.add_argument("--lr", type=float)
    p.add_argument("--labels", choices=["soft", "hard", "weak"], help="soft (UTAL), hard one-hot, or weak: "
                   "per-camera identity labels (ablation; reads ground truth)")
    p.add_argument("--k", type=int, help="neighbours in the soft labels (default 4; 0 = one-hot)")
    p.add_argument("--alpha", type=float, help="memory update rate (default 1)")
    p.add_argument("--stc", action="store_true", default=None, help="single-task classification ablation")
    p.add_argument("--no-ccta", action="store_true", default=None, help="drop cross-camera association")
    p.add_argument("--ccta-mode", choices=["reciprocal", "one_way", "two_way_knn"])
    p.add_argument("--ccta-k", type=int, help="neighbours for two_way_knn (5 or 10 in the paper)")
    p.add_argument("--lambda", dest="ccta_lambda", type=float, help="CCTA weight (default 10)")
    p.add_argument("--eval-every", type=int, help="epochs between evaluations on stores with ground truth")
    p.add_argument("--workers", type=int, help="DataLoader worker processes (default 2)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: automatic)")
    p.add_argument("--seed", type=int)
    p.add_argument("--split", type=int, help="PRID2011 / iLIDS-VID: the split whose training identities to use")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_learn)


def run_learn(a: argparse.Namespace) -> int:
    from detection.errors import InputError
    from pipeline.config import load_config, save_config
    from reid.learn_config import LearnConfig
    from reid.trainer import UTALTrainer

    h = w = None
    if a.input_size:
        try:
            h, w = (int(v) for v in a.input_size.lower().split("x"))
        except ValueError:
            raise InputError(f"--input-size {a.input_size!r}: expected HEIGHTxWIDTH, e.g. 256x128") from None
    overrides = {"backbone": a.backbone, "pretrained": a.pretrained, "epochs": a.epochs, "embed_dim": a.embed_dim,
                 "batch_size": a.batch_size, "input_height": h, "input_width": w, "lr": a.lr,
                 "labels": a.labels, "k": a.k, "alpha": a.alpha, "single_task": a.stc,
                 "ccta": False if a.no_ccta else None, "ccta_mode": a.ccta_mode, "ccta_k": a.ccta_k,
                 "ccta_lambda": a.ccta_lambda, "eval_every": a.eval_every, "workers": a.workers,
                 "device": a.device, "seed": a.seed, "split": a.split}
    cfg = load_config(LearnConfig, a.config, overrides).validate()
    trainer = UTALTrainer(a.store, a.out, cfg, resume=a.resume, progress=not a.quiet,
                          log=lambda m: print(m, flush=True))
    trainer.fit()
    save_config(cfg, Path(a.out) / "learn.yaml")
    return 0


def _reid_common(p) -> None:
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--model", required=True, help="a `pipeline learn` folder, or a baseline: "
                   "imagenet:BACKBONE[:WEIGHTS] or colour")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--k", type=int, default=4, help="neighbours of the affinity graph (default 4, as learn)")
    p.add_argument("--threshold", type=float, default=0.5, help="affinity above which tracklets link (0.5)")
    p.add_argument("--mot", help="folder of the cameras' tracker output (extract --mot-out) to relabel")
    p.add_argument("--baseline", default="auto", help="features to compare with (default: the model's "
                   "backbone with ImageNet weights; 'none' to skip)")
    p.add_argument("--frames", type=int, default=16, help="frames per tracklet to embed (evenly spaced)")
    p.add_argument("--device", help="cpu, cuda (default: automatic)")
    p.add_argument("-q", "--quiet", action="store_true")


def add_merge(sub) -> None:
    p = sub.add_parser("merge", help="join fragmented tracklets into trajectories within each camera",
                       description="Affinity graph (Eq. 4 of UTAL) over learned features, connected components, "
                       "never joining tracklets that overlap in time.")
    _reid_common(p)
    p.add_argument("--gt", help="folder of per-camera MOT ground truth: MOTA/IDF1 before and after")
    p.set_defaults(func=run_merge_cmd)


def run_merge_cmd(a: argparse.Namespace) -> int:
    from pipeline.reid_stage import run_merge

    run_merge(a.store, a.model, a.out, a.k, a.threshold, a.mot, a.gt, None if a.baseline == "none" else a.baseline,
              a.device, a.frames, a.quiet)
    return 0


def add_match(sub) -> None:
    p = sub.add_parser("match", help="ranked cross-camera matches and global identities",
                       description="Mutual nearest neighbours across cameras, strongest first, never joining "
                       "tracklets that overlap in time (camera clocks taken as synchronised).")
    _reid_common(p)
    p.add_argument("--topk", type=int, default=10, help="ranked matches kept per tracklet")
    p.add_argument("--max-distance", type=float, help="ignore mutual neighbours farther than this")
    p.add_argument("--no-merge-first", action="store_true", help="do not seed identities with merge's trajectories")
    p.add_argument("--no-time-constraint", action="store_true", help="cameras are not synchronised")
    p.set_defaults(func=run_match_cmd)


def run_match_cmd(a: argparse.Namespace) -> int:
    from pipeline.reid_stage import run_match

    run_match(a.store, a.model, a.out, a.topk, a.max_distance, not a.no_merge_first, a.k, a.threshold, a.mot,
              not a.no_time_constraint, a.device, a.frames, a.quiet, None if a.baseline == "none" else a.baseline)
    return 0


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on a generated multi-camera world",
                       description="Generate a synthetic camera network with ground truth, run every stage "
                       "on it and print ground-truth metrics per stage; writes DIR/demo.html.")
    p.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    p.add_argument("--size", choices=["tiny", "demo", "large"], default="demo")
    p.add_argument("--difficulty", choices=["easy", "default", "hard"], default="default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--detector", choices=["file", "motion"], default="file",
                   help="file: the world's noisy det.txt (default, best recall); motion: background subtraction")
    p.add_argument("--epochs", type=int, default=12, help="UTAL epochs (default 12: a few minutes on a CPU)")
    p.add_argument("--device", help="cpu, cuda (default: automatic)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run_demo)


def run_demo(a: argparse.Namespace) -> int:
    from pipeline.demo import DemoConfig
    from pipeline.demo import run_demo as demo

    demo(a.out, DemoConfig(size=a.size, difficulty=a.difficulty, seed=a.seed, detector=a.detector,
                           epochs=a.epochs, device=a.device), quiet=a.quiet)
    return 0
