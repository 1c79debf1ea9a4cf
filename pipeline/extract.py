"""`pipeline extract`: videos -> detections -> tracks -> tracklet store."""
from __future__ import annotations

import argparse

from pipeline.flags import add_config_flags, overrides
from tracking.extract_config import ExtractConfig
from tracking.tracker_config import DEFAULT_TRACKER


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="videos -> detections -> tracks -> tracklet store",
                       description=f"Detect people, track them per camera ({DEFAULT_TRACKER} unless --tracker says "
                       "otherwise) and store tracklets. "
                       "Interrupted runs resume at the first camera not complete.")
    p.add_argument("--videos", required=True, help="folder: <camera>.<video>, <camera>/ of videos, or "
                   "<camera>/img1/ image sequences")
    p.add_argument("-o", "--out", required=True, help="tracklet store to write (.h5)")
    p.add_argument("--config", help="YAML file of settings (flags override it)")
    g = p.add_argument_group("detector")
    add_config_flags(g, type(ExtractConfig().detector), "detector.")
    g = p.add_argument_group("tracker")
    add_config_flags(g, type(ExtractConfig().tracker), "tracker.", defaults=ExtractConfig().tracker)
    g = p.add_argument_group("tracklets and crops")
    add_config_flags(g, type(ExtractConfig().tracklets), "tracklets.")
    add_config_flags(g, ExtractConfig, skip=("detector", "tracker", "tracklets"))
    p.add_argument("--cameras", help="only these cameras of --videos, comma-separated (one machine's share; "
                   "`pipeline combine` joins the stores)")
    p.add_argument("--mot-out", help="folder for each camera's tracks (and detections) as MOT text")
    p.add_argument("--gt", help="folder of MOTChallenge gt per camera (<camera>.txt or <camera>/gt/gt.txt): "
                   "labels tracklets with true identities for evaluation only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.table import format_table
    from tracking.multi_camera import extract_cameras
    from tracklet_reid.config_io import load_config

    cfg = load_config(ExtractConfig, args.config, overrides(args, ExtractConfig)).validate()
    appearance = None
    if cfg.reid_model:
        import functools

        from reid.models.appearance import box_embedder
        from reid.models.embedding import load_model

        load_model(cfg.reid_model, cfg.detector.device)  # a bad model is refused before any video is read
        appearance = functools.partial(box_embedder, cfg.reid_model, cfg.tracklets.margin, cfg.detector.device)
    cameras = [c.strip() for c in args.cameras.split(",") if c.strip()] if args.cameras else None
    result = extract_cameras(args.videos, args.out, cfg, mot_dir=args.mot_out, quiet=args.quiet, gt_dir=args.gt,
                             appearance=appearance, cameras=cameras)
    if not args.quiet:
        headers = ["camera", "frames", "detections", "tracks", "tracklets", "crops", "seconds", "frames/s"]
        rows = [[s["camera"], s["frames"], s["detections"], s["tracks"], s["tracklets"], s["crops"],
                 round(s["seconds"], 1), round(s["frames"] / max(s["seconds"], 1e-9), 1)] for s in result.cameras]
        if rows:
            print(format_table(headers, rows))
        for s in result.cameras:
            for note in s.get("warnings", []):
                print(f"{s['camera']}: {note}")
        for name, why in result.skipped.items():
            print(f"{name}: skipped (--skip-bad-cameras): {why}")
    return 0
