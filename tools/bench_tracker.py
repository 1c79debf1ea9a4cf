"""Benchmark the SORT tracker on PETS09-S2L1 public detections.

    python tools/bench_tracker.py [--pets DIR] [--repeat 5]

Prints frames/s of our batched tracker and, as the reference in the same run, of a plain
per-object SORT loop (one filterpy KalmanFilter per track, as the original SORT code does),
plus MOTA/IDF1 of both against gt.txt (they must agree).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detection.mot_text import MotRows, read_mot  # noqa: E402
from tracking.kalman import sort_box_model, x_to_xyxy, xyxy_to_z  # noqa: E402
from tracking.mot_metrics import evaluate_mot  # noqa: E402
from tracking.run_tracker import track_detections  # noqa: E402
from tracking.sort import TrackerConfig, associate  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def reference_sort(dets: MotRows, cfg: TrackerConfig) -> MotRows:
    """Per-object SORT: a filterpy KalmanFilter per track, Python loops over tracks."""
    from filterpy.kalman import KalmanFilter

    m = sort_box_model()

    class Trk:
        def __init__(self, box, tid):
            kf = KalmanFilter(dim_x=7, dim_z=4)
            kf.F, kf.H, kf.Q, kf.R, kf.P = m.F.copy(), m.H.copy(), m.Q.copy(), m.R.copy(), m.P0.copy()
            kf.x[:4, 0] = xyxy_to_z(box)[0]
            self.kf, self.id, self.tsu, self.streak = kf, tid, 0, 0

        def predict(self):
            if self.kf.x[6, 0] + self.kf.x[2, 0] <= 0:
                self.kf.x[6, 0] = 0.0
            self.kf.predict()
            if self.tsu > 0:
                self.streak = 0
            self.tsu += 1
            return x_to_xyxy(self.kf.x[:, 0][None])[0]

    trks, next_id, out = [], 1, []
    by_frame = dets.by_frame()
    for t in range(int(dets.frame.max()) + 1):
        idx = by_frame.get(t)
        boxes = dets.boxes[idx] if idx is not None else np.zeros((0, 4))
        pred = np.array([k.predict() for k in trks]).reshape(-1, 4)
        ok = np.isfinite(pred).all(axis=1)
        trks = [k for k, v in zip(trks, ok) if v]
        pred = pred[ok]
        pairs = associate(boxes, pred, cfg.iou_threshold)
        matched = set()
        for d, k in pairs:
            trk = trks[k]
            trk.kf.update(xyxy_to_z(boxes[d])[0])
            trk.tsu, trk.streak = 0, trk.streak + 1
            matched.add(d)
        for d in range(len(boxes)):
            if d not in matched:
                trks.append(Trk(boxes[d], next_id))
                next_id += 1
        for k in trks:
            if k.tsu < 1 and (k.streak >= cfg.min_hits or t + 1 <= cfg.min_hits):
                out.append((t, k.id, *x_to_xyxy(k.kf.x[:, 0][None])[0]))
        trks = [k for k in trks if k.tsu <= cfg.max_age]
    a = np.array(out)
    return MotRows(a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2:6], np.ones(len(a)), np.zeros((len(a), 0)))


def best_fps(fn, frames: int, repeat: int) -> tuple[float, object]:
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return frames / best, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pets", type=Path, default=SHARED / "pets09-s2l1")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not (args.pets / "det.txt").exists():
        sys.exit(f"bench_tracker: {args.pets / 'det.txt'} not found (needs shared/data beside the repo)")
    dets, gt = read_mot(args.pets / "det.txt"), read_mot(args.pets / "gt.txt")
    cfg = TrackerConfig()
    frames = int(dets.frame.max()) + 1
    sort_box_model()
    ours_fps, ours = best_fps(lambda: track_detections(dets, cfg), frames, args.repeat)
    ref_fps, ref = best_fps(lambda: reference_sort(dets, cfg), frames, max(1, args.repeat // 2))
    so, sr = evaluate_mot(gt, ours), evaluate_mot(gt, ref)
    print(f"SORT on PETS09-S2L1 det.txt ({frames} frames, {len(dets)} detections), max_age 1, min_hits 3, IoU 0.3")
    print(f"{'tracker':<34}{'frames/s':>10}{'MOTA':>8}{'IDF1':>8}{'IDsw':>6}")
    print(f"{'ours (batched Kalman bank)':<34}{ours_fps:>10.0f}{so.mota:>8.3f}{so.idf1:>8.3f}{so.id_switches:>6}")
    print(f"{'reference (filterpy per track)':<34}{ref_fps:>10.0f}{sr.mota:>8.3f}{sr.idf1:>8.3f}{sr.id_switches:>6}")
    print("acceptance: >= 2000 frames/s, MOTA >= 0.619, IDF1 >= 0.351")


if __name__ == "__main__":
    main()
