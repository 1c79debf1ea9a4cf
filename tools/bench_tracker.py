"""Trackers side by side on PETS09-S2L1 public detections: ours and, in the same run, the peers
that are installed (roboflow `trackers`, Apache-2.0; BoxMOT, AGPL-3.0: measured here, never a
dependency), all fed the same boxes and scored by the same scorer.

    python tools/bench_tracker.py [--pets DIR] [--repeat 3] [--transforms] [--sweep]
    python tools/bench_tracker.py --variants    # issue 28's fourteen sequences, ours and every peer
    python tools/bench_tracker.py --choose      # BoT-SORT's constants by the stated rule, leave-one-out

Per tracker and sequence: IDF1, MOTA, ID switches and HOTA (TrackEval, IoU 0.5, all gt rows, as
`pipeline evaluate-mot`) and tracking-only frames/s (best of --repeat; inputs built before the
clock starts, for every tracker). Sequences: PETS09-S2L1 at its 7 fps, and every 2nd frame (3.5
fps). `--transforms`: our trackers under five monotone rescalings of the scores, calibrated and raw.
`--variants`: PETS public det, its five rescalings, PETS through each shared detector (run once and
cached under --cache), PETS at 3.5 and 2.3 fps and a hard synthetic world at 28 / 14 / 7 / 3.5 fps
(subsampled sequences: the mean over every phase). `--choose`: 36 candidate settings of our default
over the nine distinct sequences, the best mean and the leave-one-variant-out check
(docs/tracking.md). The peers run at their own defaults (frame rate 30, so their 30-frame buffers
last 4.3 s at 7 fps), without camera motion compensation or re-id. A per-object filterpy SORT
checks ours exactly (same numbers).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detection.mot_text import MotRows, read_mot  # noqa: E402
from tracking.association import associate  # noqa: E402
from tracking.kalman import sort_box_model, x_to_xyxy, xyxy_to_z  # noqa: E402
from tracking.mot_metrics import evaluate_mot  # noqa: E402
from tracking.run_tracker import track_detections  # noqa: E402
from tracking.tracker_config import DEFAULT_TRACKER, SCORE_MODES, TRACKERS, TrackerConfig  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PETS_FPS = 7.0
FRAME_HW = (576, 768)
Run = Callable[[], MotRows]


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
    return _rows(out)


def _rows(out: list) -> MotRows:
    a = np.array(out, dtype=np.float64).reshape(-1, 6)
    return MotRows(a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2:6], np.ones(len(a)), np.zeros((len(a), 0)))


def subsample(rows: MotRows, k: int, phase: int = 0) -> MotRows:
    """Every ``k``-th frame from ``phase``: the same scene at 1/k of the frame rate."""
    r = rows.select(rows.frame % k == phase)
    return MotRows((r.frame - phase) // k, r.ids, r.boxes, r.score, r.extra)


def lost_time_sweep(dets: MotRows, gt: MotRows) -> None:
    """IDF1 / MOTA of each of our trackers by lost time, at 7, 3.5 and 2.3 fps (every phase of the
    subsampled sequence averaged): how a time constant in seconds holds across frame rates."""
    rates = (1, 2, 3)
    print("\nlost time (s) by frame rate, IDF1 / MOTA")
    print(f"{'tracker':<12}{'lost':>6}" + "".join(f"{f'{PETS_FPS / k:.1f} fps':>16}" for k in rates))
    for name in ("bytetrack", "botsort", "ocsort"):
        for lost in (0.5, 1.0, 2.0, 4.0):
            cells = []
            for k in rates:
                scores = [evaluate_mot(subsample(gt, k, p), track_detections(
                    subsample(dets, k, p), TrackerConfig(algorithm=name, lost_seconds=lost), PETS_FPS / k))
                    for p in range(k)]
                cells.append(f"{np.mean([s.idf1 for s in scores]):.3f} / {np.mean([s.mota for s in scores]):.3f}")
            print(f"{name:<12}{lost:>6}" + "".join(f"{c:>16}" for c in cells), flush=True)


# monotone rescalings of a detector's scores (issue 28): a tracker whose thresholds acted on the
# scores' ranks would score the same under every one; the squeeze maps them into [0.15, 0.3]
SCORE_TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as given": lambda s: s,
    "x100": lambda s: s * 100.0,
    "cubed": lambda s: s ** 3,
    "square root": lambda s: np.sqrt(np.clip(s, 0, None)),
    "logistic": lambda s: 1.0 / (1.0 + np.exp(-(s - 0.5) * 10.0)),
    "into [0.15, 0.3]": lambda s: 0.15 + 0.15 * (s - s.min()) / max(float(np.ptp(s)), 1e-9),
}


def rescaled(dets: MotRows, f: Callable[[np.ndarray], np.ndarray]) -> MotRows:
    return MotRows(dets.frame, dets.ids, dets.boxes, f(dets.score.astype(np.float64)), dets.extra)


def ours(cfg: TrackerConfig) -> Callable[[MotRows, float], Run]:
    """Our tracker with ``cfg``, as a run maker of (detections, fps)."""
    return lambda d, fps: (lambda: track_detections(d, cfg, fps))


def score_transform_table(dets: MotRows, gt: MotRows) -> None:
    """IDF1 of each of our trackers under each score rescaling, and the spread (max - min) per
    tracker: the score-scale dependence issue 28 asks to remove (target spread <= 0.01)."""
    print("\nscore rescalings (PETS public det, 7 fps): IDF1")
    print(f"{'tracker':<22}" + "".join(f"{name:>18}" for name in SCORE_TRANSFORMS) + f"{'spread':>9}")
    for name, mode in [(t, m) for m in SCORE_MODES for t in TRACKERS]:
        cells = []
        for f in SCORE_TRANSFORMS.values():
            cfg = TrackerConfig(algorithm=name, scores=mode)
            cells.append(evaluate_mot(gt, track_detections(rescaled(dets, f), cfg, PETS_FPS)).idf1)
        print(f"{name + ' ' + mode:<22}" + "".join(f"{c:>18.3f}" for c in cells)
              + f"{max(cells) - min(cells):>9.3f}", flush=True)


# ------------------------------------------------------------------------------- --variants
# (name, detections, ground truth, fps); a list of phases when the sequence is a subsampling, whose
# scores are averaged (one phase of a subsampled PETS moves IDF1 by up to 0.06)
Variant = tuple[str, list[tuple[MotRows, MotRows]], float]
SYNTHETIC_FPS = 28.0  # the synthetic world's rate: 28, 14, 7 and 3.5 fps by subsampling


def _phases(dets: MotRows, gt: MotRows, k: int) -> list[tuple[MotRows, MotRows]]:
    return [(subsample(dets, k, p), subsample(gt, k, p)) for p in range(k)]


def detector_rows(name: str, video: Path, weights: Path, cache: Path) -> MotRows | None:
    """A shared detector's boxes over the PETS video, at the floor and filter extract uses (cached:
    the detector is the slow part, the trackers are measured here)."""
    from detection.base import Detections
    from detection.factory import DetectorConfig, build_detector
    from detection.mot_text import write_mot
    from detection.video import CameraSource

    body = weights / "yolo-fastest-1.1-body"
    configs = {"Intel pedestrian-detection-adas-0002": DetectorConfig(backend="openvino", weights=str(
        weights / "intel-pedestrian-detection-adas-0002" / "pedestrian-detection-adas-0002.xml")),
        "yolo-fastest body (Darknet)": DetectorConfig(backend="darknet", cfg=str(body / "yolo-fastest-1.1_body.cfg"),
                                                      weights=str(body / "yolo-fastest-1.1_body.weights"))}
    cfg = configs[name]
    if not Path(cfg.weights or "").exists():
        return None
    out = cache / (name.split()[0] + f"-floor{cfg.score_floor:g}.txt")
    if not out.exists():
        det, keep = build_detector(cfg, "pets"), cfg.filter()
        src = CameraSource("pets", "video", [video]).probe()
        rows: list[tuple] = []
        batch: list = []

        def flush() -> None:
            for (t, frame), d in zip(batch, det.detect([f for _, f in batch], [t for t, _ in batch])):
                d = keep(d, frame.shape[:2]) if isinstance(d, Detections) else d
                rows.extend((t, -1, *b, s) for b, s in zip(d.boxes, d.scores))
            batch.clear()
        for t, frame in src.frames():
            batch.append((t, frame))
            if len(batch) == det.batch_size:
                flush()
        flush()
        a = np.array(rows, dtype=np.float64).reshape(-1, 7)
        write_mot(out, a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2:6], a[:, 6])
    return read_mot(out)


def synthetic_world(cache: Path) -> tuple[MotRows, MotRows] | None:
    """One camera of a hard synthetic world (occluders, false positives, realistic scores) at 28 fps."""
    from tracklet_reid.synthetic.world import generate_world, world_config

    folder = cache / "world-28fps"
    if not (folder / "gt").is_dir():
        generate_world(folder, world_config("tiny", "hard", seed=3, cameras=1, identities=24, frames=1400,
                                            fps=SYNTHETIC_FPS))
    cam = sorted((folder / "gt").glob("*.txt"))[0]
    gt = read_mot(cam)
    return read_mot(folder / "det" / cam.name), gt.select(gt.score > 0)


def variants(pets: Path, weights: Path, cache: Path) -> list[Variant]:
    dets, gt = read_mot(pets / "det.txt"), read_mot(pets / "gt.txt")
    gt = gt.select(gt.score > 0)
    out: list[Variant] = [("PETS public det, 7 fps", [(dets, gt)], PETS_FPS)]
    for name, f in list(SCORE_TRANSFORMS.items())[1:]:
        out.append((f"PETS public det, scores {name}", [(rescaled(dets, f), gt)], PETS_FPS))
    for name in ("Intel pedestrian-detection-adas-0002", "yolo-fastest body (Darknet)"):
        rows = detector_rows(name, pets / "video.avi", weights, cache)
        if rows is not None:
            out.append((f"PETS through {name}", [(rows, gt)], PETS_FPS))
    for k in (2, 3):
        out.append((f"PETS public det, {PETS_FPS / k:.3g} fps", _phases(dets, gt, k), PETS_FPS / k))
    world = synthetic_world(cache)
    if world is not None:
        for k in (1, 2, 4, 8):
            out.append((f"synthetic hard world, {SYNTHETIC_FPS / k:g} fps", _phases(*world, k), SYNTHETIC_FPS / k))
    return out


def _mean_scores(make_run: Callable[[MotRows, float], Run], phases: list, fps: float) -> tuple[float, float, float]:
    s = [evaluate_mot(gt, make_run(d, fps)()) for d, gt in phases]
    return (float(np.mean([x.idf1 for x in s])), float(np.mean([x.mota for x in s])),
            float(np.mean([x.hota for x in s])))


def variants_table(vs: list[Variant], peers: bool) -> None:
    """Every variant: each of our trackers and each installed peer, IDF1 / MOTA / HOTA (phase means),
    then per variant our default against the best peer (issue 28's target: ahead or level)."""
    mine: dict[str, Callable[[MotRows, float], Run]] = {
        f"ours {name}" + (" (default)" if name == DEFAULT_TRACKER else ""): ours(TrackerConfig(algorithm=name))
        for name in TRACKERS}
    mine[f"ours {DEFAULT_TRACKER}, raw scores"] = ours(TrackerConfig(scores="raw"))
    summary = []
    for name, phases, fps in vs:
        print(f"\n{name} ({len(phases)} phase{'s' if len(phases) > 1 else ''}): IDF1 / MOTA / HOTA", flush=True)
        rows: dict[str, tuple[float, float, float]] = {}
        makers = dict(mine)
        if peers:  # each phase's peer inputs built once, for all the peers
            built = {id(d): {**roboflow_runs(d), **boxmot_runs(d)} for d, _ in phases}
            for peer in built[id(phases[0][0])]:
                makers[peer] = (lambda d, fps, p=peer, b=built: b[id(d)][p])
        for label, make in makers.items():
            try:
                rows[label] = _mean_scores(make, phases, fps)
            except Exception as exc:  # a peer's failure is a row, not the end of the benchmark
                print(f"  {label:<38} failed: {type(exc).__name__}: {str(exc)[:80]}")
                continue
            print(f"  {label:<38}{rows[label][0]:>7.3f}{rows[label][1]:>7.3f}{rows[label][2]:>7.3f}", flush=True)
        default = next(v for k, v in rows.items() if k.endswith("(default)"))[0]
        peer_rows = {k: v[0] for k, v in rows.items() if not k.startswith("ours")}
        best = max(peer_rows.items(), key=lambda kv: kv[1]) if peer_rows else ("-", float("nan"))
        summary.append((name, default, best))
    print(f"\n{'variant':<52}{'ours default':>13}{'best peer':>10}{'gap':>8}  best peer")
    for name, default, (peer, value) in summary:
        print(f"{name:<52}{default:>13.3f}{value:>10.3f}{default - value:>+8.3f}  {peer}")


# the candidates the default is chosen among: the papers' first-stage gate (IoU x score >= 0.2) and
# roboflow ByteTrack's looser 0.1; the papers' 1 s of lost time and longer; Kalman motion noise per
# frame (the papers, 0 here) or per second at 30 or 10 fps; calibrated or raw scores
CANDIDATES = [dict(match_iou=m, lost_seconds=lost, motion_fps=f, scores=sc) for m in (0.2, 0.1)
              for lost in (1.0, 2.0, 4.0) for f in (0.0, 30.0, 10.0) for sc in SCORE_MODES]


def choose_leave_one_out(vs: list[Variant]) -> None:
    """The rule for the default tracker's free constants: the candidate with the best mean IDF1
    over the variants, checked leave-one-variant-out (chosen on the others, scored on the one left
    out), so no variant's number comes from a setting picked on it. The score rescalings are left
    out: they give the same boxes again (exactly the same IDF1 under calibrated scores)."""
    vs = [v for v in vs if ", scores " not in v[0]]
    table = np.array([[_mean_scores(ours(TrackerConfig(**cand)), phases, fps)[0] for cand in CANDIDATES]
                      for _, phases, fps in vs])
    label = [f"{c['match_iou']:g}/{c['lost_seconds']:g}/{c['motion_fps']:g}/{c['scores'][:3]}" for c in CANDIDATES]
    print(f"\n{DEFAULT_TRACKER}, IDF1 by candidate (match IoU / lost s / motion noise fps / scores), "
          "leave-one-variant-out")
    print(f"{'candidate':<18}" + "".join(f"{name[:11]:>12}" for name, _, _ in vs) + f"{'mean':>8}")
    for j, lab in enumerate(label):
        print(f"{lab:<18}" + "".join(f"{v:>12.3f}" for v in table[:, j]) + f"{table[:, j].mean():>8.3f}")
    print(f"\n{'left out':<52}{'chosen on the rest':>20}{'IDF1 here':>10}")
    for i, (name, _, _) in enumerate(vs):
        j = int(np.delete(table, i, axis=0).mean(0).argmax())
        print(f"{name:<52}{label[j]:>20}{table[i, j]:>10.3f}")
    j = int(table.mean(0).argmax())
    print(f"best mean over all: {label[j]} ({table[:, j].mean():.3f})")


def _peer_run(make: Callable, inputs: list, tracks_of: Callable) -> Run:
    """A peer's whole sequence as MOT rows: a fresh tracker from ``make``, one update per prebuilt
    frame input; ``tracks_of(tracker, input)`` gives the frame's (id, box) pairs."""
    def run() -> MotRows:
        tr = make()
        return _rows([(t, tid, *box) for t, d in enumerate(inputs) for tid, box in tracks_of(tr, d)])
    return run


def roboflow_runs(dets: MotRows) -> dict[str, Run]:
    """roboflow `trackers` at their defaults (BoT-SORT without camera-motion compensation)."""
    try:
        import supervision as sv
        import trackers
    except ImportError:
        return {}
    by = dets.by_frame()
    inputs = [sv.Detections(xyxy=dets.boxes[by[t]], confidence=dets.score[by[t]],
                            class_id=np.zeros(len(by[t]), int)) if t in by else sv.Detections.empty()
              for t in range(int(dets.frame.max()) + 1)]

    def tracks_of(tr, d):
        r = tr.update(d)
        return [(tid, box) for box, tid in zip(r.xyxy, r.tracker_id) if tid >= 0]

    return {"roboflow trackers SORT": _peer_run(trackers.SORTTracker, inputs, tracks_of),
            "roboflow trackers ByteTrack": _peer_run(trackers.ByteTrackTracker, inputs, tracks_of),
            "roboflow trackers OC-SORT": _peer_run(trackers.OCSORTTracker, inputs, tracks_of),
            "roboflow trackers BoT-SORT": _peer_run(lambda: trackers.BoTSORTTracker(enable_cmc=False), inputs,
                                                    tracks_of)}


def boxmot_runs(dets: MotRows) -> dict[str, Run]:
    """BoxMOT at its defaults, without re-id or camera-motion compensation."""
    try:
        import boxmot
    except ImportError:
        return {}
    by = dets.by_frame()
    inputs = [np.column_stack([dets.boxes[by[t]], dets.score[by[t]], np.zeros(len(by[t]))]) if t in by
              else np.zeros((0, 6)) for t in range(int(dets.frame.max()) + 1)]
    img = np.zeros((*FRAME_HW, 3), np.uint8)

    def tracks_of(tr, d):
        return [(int(row[4]), row[:4]) for row in tr.update(d, img)]

    return {"BoxMOT ByteTrack": _peer_run(boxmot.ByteTrack, inputs, tracks_of),
            "BoxMOT OcSort": _peer_run(boxmot.OcSort, inputs, tracks_of),
            "BoxMOT BotSort": _peer_run(lambda: boxmot.BotSort(use_embeddings=False, use_cmc=False, reid_weights=None),
                                        inputs, tracks_of)}


def best_fps(fn: Run, frames: int, repeat: int) -> tuple[float, MotRows]:
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    assert res is not None
    return frames / best, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pets", type=Path, default=SHARED / "pets09-s2l1")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true", help="ours only")
    ap.add_argument("--sweep", action="store_true", help="also: our trackers by lost time at three frame rates")
    ap.add_argument("--transforms", action="store_true", help="also: our trackers under five monotone rescalings of "
                    "the detection scores (x100, cubed, square root, logistic, squeezed into [0.15, 0.3])")
    ap.add_argument("--variants", action="store_true", help="the issue-28 table instead: PETS public det, five "
                    "score rescalings, each shared detector, PETS at 3.5 and 2.3 fps, a synthetic world at 28, "
                    "14, 7 and 3.5 fps; every tracker of ours and every installed peer")
    ap.add_argument("--choose", action="store_true", help="the default's match IoU, lost time, motion noise "
                    "and score mode, chosen by the best mean IDF1 over the --variants sequences, checked "
                    "leave-one-variant-out")
    ap.add_argument("--weights", type=Path, default=SHARED / "weights")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "tracklet-reid" / "bench_tracker",
                    help="where detector outputs and the synthetic world are kept between runs")
    args = ap.parse_args()
    if not (args.pets / "det.txt").exists():
        sys.exit(f"bench_tracker: {args.pets / 'det.txt'} not found (needs shared/data beside the repo)")
    if args.variants or args.choose:
        vs = variants(args.pets, args.weights, args.cache)
        if args.choose:
            choose_leave_one_out(vs)
        else:
            variants_table(vs, not args.no_peers)
        return
    dets_all, gt_all = read_mot(args.pets / "det.txt"), read_mot(args.pets / "gt.txt")
    gt_all = gt_all.select(gt_all.score > 0)
    sort_box_model()
    for k in (1, 2):
        dets, gt, fps = subsample(dets_all, k), subsample(gt_all, k), PETS_FPS / k
        frames = int(dets.frame.max()) + 1
        runs: dict[str, Run] = {}
        for name in TRACKERS:
            cfg = TrackerConfig(algorithm=name)
            label = f"ours {name}" + (" (default)" if name == DEFAULT_TRACKER else "")
            runs[label] = (lambda c=cfg: track_detections(dets, c, fps))
        runs["reference SORT (filterpy per track)"] = lambda: reference_sort(dets, TrackerConfig())
        if not args.no_peers:
            runs.update(roboflow_runs(dets))
            runs.update(boxmot_runs(dets))
        print(f"\nPETS09-S2L1 public detections at {fps:g} fps ({frames} frames, {len(dets)} boxes)")
        print(f"{'tracker':<40}{'IDF1':>7}{'MOTA':>7}{'HOTA':>7}{'IDsw':>6}{'frames/s':>10}")
        for name, fn in runs.items():
            try:
                speed, res = best_fps(fn, frames, args.repeat)
            except Exception as exc:  # a peer's failure is a row, not the end of the benchmark
                print(f"{name:<40}  failed: {type(exc).__name__}: {str(exc)[:80]}")
                continue
            s = evaluate_mot(gt, res)
            print(f"{name:<40}{s.idf1:>7.3f}{s.mota:>7.3f}{s.hota:>7.3f}"
                  f"{s.id_switches:>6}{speed:>10.0f}", flush=True)
    if args.sweep:
        lost_time_sweep(dets_all, gt_all)
    if args.transforms:
        score_transform_table(dets_all, gt_all)
    print("\nacceptance (issue 13): the default tracker IDF1 >= 0.466 and MOTA >= 0.579 at 7 fps; its frames/s at "
          "least the fastest peer's in this run")


if __name__ == "__main__":
    main()
