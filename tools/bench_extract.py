"""Benchmark `pipeline extract` on the PETS09 video with the Darknet body detector.

    python tools/bench_extract.py [--pets DIR] [--weights DIR] [--frames N]

Prints, side by side in one run: decode-only frames/s (the reference floor of any extract),
detector-only frames/s (frames already decoded in memory), and whole-extract frames/s (decode,
detect, track, crop, encode, write), plus the ratio whole / detector-only (acceptance: >= 0.8).
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

    from detection.factory import DetectorConfig, build_detector
    from detection.video import CameraSource
    from tracking.extract_camera import extract_camera
    from tracking.kalman import sort_box_model
    from tracking.tracker_config import TrackerConfig
    from tracking.tracklets import TrackletConfig

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pets", type=Path, default=SHARED / "pets09-s2l1")
    ap.add_argument("--weights", type=Path, default=SHARED / "weights" / "yolo-fastest-1.1-body")
    ap.add_argument("--batch-size", type=int, default=4)
    args = ap.parse_args()
    video = args.pets / "video.avi"
    if not video.exists():
        sys.exit(f"bench_extract: {video} not found (needs shared/data beside the repo)")
    det_cfg = DetectorConfig(backend="darknet", cfg=str(args.weights / "yolo-fastest-1.1_body.cfg"),
                             weights=str(args.weights / "yolo-fastest-1.1_body.weights"),
                             batch_size=args.batch_size)
    src = CameraSource("pets", "video", [video]).probe()

    t0 = time.perf_counter()
    frames = [f for _, f in src.frames()]
    t_decode = time.perf_counter() - t0
    n = len(frames)

    det = build_detector(det_cfg, "pets")
    det.detect(frames[:det.batch_size], list(range(det.batch_size)))  # warm-up
    t0 = time.perf_counter()
    for i in range(0, n, det.batch_size):
        det.detect(frames[i:i + det.batch_size], list(range(i, min(i + det.batch_size, n))))
    t_detect = time.perf_counter() - t0
    del frames

    with tempfile.TemporaryDirectory() as d:
        det = build_detector(det_cfg, "pets")
        sort_box_model()  # one-time import of filterpy, outside the timed run like the detector's load
        t0 = time.perf_counter()
        s = extract_camera(src, det, det_cfg.filter(), TrackerConfig(reference_fps=10.0), TrackletConfig(),
                           Path(d) / "p.h5")
        t_whole = time.perf_counter() - t0

    print(f"PETS09-S2L1, {n} frames {src.frame_size[0]}x{src.frame_size[1]}, darknet yolo-fastest body, "
          f"batch {det_cfg.batch_size}, {cv2.getNumThreads()} OpenCV threads")
    print(f"{'stage':<16}{'frames/s':>10}")
    print(f"{'decode-only':<16}{n / t_decode:>10.1f}")
    print(f"{'detector-only':<16}{n / t_detect:>10.1f}")
    print(f"{'whole extract':<16}{n / t_whole:>10.1f}   ({s.tracklets} tracklets, {s.crops} crops)")
    print(f"whole / detector-only = {t_detect / t_whole:.2f} (acceptance >= 0.80)")


if __name__ == "__main__":
    main()
