"""Benchmark `pipeline extract` on the PETS09 video with each shared offline person detector.

    python tools/bench_extract.py [--pets DIR] [--detectors openvino,darknet]

For each detector, side by side in one run: decode-only frames/s (the reference floor of any
extract), detector-only frames/s (frames already decoded in memory), and whole-extract frames/s
(decode, detect, track, crop, encode, write), the ratio whole / detector-only (acceptance: >= 0.8),
and the tracks' recall / precision / MOTA / IDF1 against PETS' ground truth over the whole video and
over frames 1-200 (the offline default's target there: recall >= 0.80, MOTA >= 0.65).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    import cv2

    from detection.factory import DetectorConfig
    from detection.video import CameraSource

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pets", type=Path, default=SHARED / "pets09-s2l1")
    ap.add_argument("--weights", type=Path, default=SHARED / "weights")
    ap.add_argument("--detectors", default="openvino,darknet", help="comma-separated: openvino, darknet")
    ap.add_argument("--batch-size", type=int, default=4)
    args = ap.parse_args()
    video = args.pets / "video.avi"
    if not video.exists():
        sys.exit(f"bench_extract: {video} not found (needs shared/data beside the repo)")
    body = args.weights / "yolo-fastest-1.1-body"
    configs = {
        "openvino": DetectorConfig(backend="openvino", batch_size=args.batch_size, weights=str(
            args.weights / "intel-pedestrian-detection-adas-0002" / "pedestrian-detection-adas-0002.xml")),
        "darknet": DetectorConfig(backend="darknet", batch_size=args.batch_size,
                                  cfg=str(body / "yolo-fastest-1.1_body.cfg"),
                                  weights=str(body / "yolo-fastest-1.1_body.weights")),
    }
    src = CameraSource("pets", "video", [video]).probe()
    t0 = time.perf_counter()
    frames = [f for _, f in src.frames()]
    t_decode = time.perf_counter() - t0
    n = len(frames)
    print(f"PETS09-S2L1, {n} frames {src.frame_size[0]}x{src.frame_size[1]}, batch {args.batch_size}, "
          f"{cv2.getNumThreads()} OpenCV threads; decode-only {n / t_decode:.1f} frames/s")
    print(f"{'detector':<10}{'detect f/s':>11}{'extract f/s':>12}{'ratio':>7}  {'whole video: R / P / MOTA / IDF1':<34}"
          "frames 1-200: R / P / MOTA / IDF1")
    for name in [d.strip() for d in args.detectors.split(",") if d.strip()]:
        _bench(name, configs[name], src, frames, args.pets / "gt.txt")


def _bench(name: str, det_cfg, src, frames, gt_path: Path) -> None:
    from detection.factory import build_detector
    from detection.mot_text import read_mot
    from tracking.extract_camera import extract_camera
    from tracking.kalman import sort_box_model
    from tracking.mot_metrics import evaluate_mot
    from tracking.tracker_config import TrackerConfig
    from tracking.tracklets import TrackletConfig

    n = len(frames)

    det = build_detector(det_cfg, "pets")
    det.detect(frames[:det.batch_size], list(range(det.batch_size)))  # warm-up
    t0 = time.perf_counter()
    for i in range(0, n, det.batch_size):
        det.detect(frames[i:i + det.batch_size], list(range(i, min(i + det.batch_size, n))))
    t_detect = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as d:
        det = build_detector(det_cfg, "pets")
        sort_box_model()  # one-time import of filterpy, outside the timed run like the detector's load
        t0 = time.perf_counter()
        extract_camera(src, det, det_cfg.filter(), TrackerConfig(reference_fps=10.0), TrackletConfig(),
                       Path(d) / "p.h5", mot_dir=Path(d))
        t_whole = time.perf_counter() - t0
        res = read_mot(Path(d) / "pets.txt")
    gt = read_mot(gt_path)
    scores = []
    for g, r in ((gt, res), (gt.select(gt.frame < 200), res.select(res.frame < 200))):
        s = evaluate_mot(g, r)
        scores.append(f"{s.recall:.3f} / {s.precision:.3f} / {s.mota:.3f} / {s.idf1:.3f}")
    print(f"{name:<10}{n / t_detect:>11.1f}{n / t_whole:>12.1f}{t_detect / t_whole:>7.2f}  {scores[0]:<34}{scores[1]}")


if __name__ == "__main__":
    main()
