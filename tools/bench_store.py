"""Benchmark the tracklet store: write, sequential and random reads of N crops, raw vs JPEG.

    python tools/bench_store.py [--crops 20000] [--pets ../shared/data/pets09-s2l1]

Crops are cut from the real PETS09 video around its ground-truth boxes when it is present (JPEG
size depends on content: noise-only crops would overstate it), otherwise drawn synthetically.
Runs on one core (cv2 threads = 1) since a DataLoader worker is one core.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracking.store import StoreWriter, TrackletStore  # noqa: E402

H, W = 256, 128


def real_crops(pets: Path, n_unique: int) -> np.ndarray | None:
    import cv2

    video, gt = pets / "video.avi", pets / "gt.txt"
    if not (video.exists() and gt.exists()):
        return None
    rows = np.loadtxt(gt, delimiter=",")
    cap = cv2.VideoCapture(str(video))
    out, frame_no = [], 0
    by_frame = {int(f): rows[rows[:, 0] == f] for f in np.unique(rows[:, 0])[::8]}
    while len(out) < n_unique:
        ok, frame = cap.read()
        if not ok:
            break
        frame_no += 1
        for r in by_frame.get(frame_no, []):
            x, y, w, h = r[2:6]
            x1, y1 = max(int(x), 0), max(int(y), 0)
            x2, y2 = min(int(x + w), frame.shape[1]), min(int(y + h), frame.shape[0])
            if x2 - x1 > 4 and y2 - y1 > 8:
                out.append(cv2.resize(frame[y1:y2, x1:x2], (W, H))[:, :, ::-1])
    return np.stack(out) if out else None


def synthetic_crops(n_unique: int, rng) -> np.ndarray:
    crops = np.empty((n_unique, H, W, 3), np.uint8)
    for i in range(n_unique):
        base = rng.integers(40, 220, size=3)
        img = np.full((H, W, 3), base, np.float32)
        img[H // 2 :] = rng.integers(20, 200, size=3)
        img += rng.normal(0, 8, img.shape)
        crops[i] = np.clip(img, 0, 255)
    return crops


def bench(encoding: str, crops: np.ndarray, n: int, per_tracklet: int, rng, folder: Path) -> dict:
    path = folder / f"bench-{encoding}.h5"
    t0 = time.perf_counter()
    with StoreWriter(path, crop_hw=(H, W), encoding=encoding) as w:
        cam = w.camera("cam")
        for start in range(0, n, per_tracklet):
            k = min(per_tracklet, n - start)
            idx = np.arange(start, start + k) % len(crops)
            cam.add_tracklet(crops[idx], np.arange(k), np.zeros((k, 4)), np.ones(k), start)
        cam.finish()
    t_write = time.perf_counter() - t0
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)  # drop the page cache so the first (sequential) pass hits disk
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    store = TrackletStore(path)
    t0 = time.perf_counter()
    for i in range(n):
        store.crop("cam", i)
    t_seq = time.perf_counter() - t0
    order = rng.permutation(n)
    t0 = time.perf_counter()
    for i in order:
        store.crop("cam", int(i))
    t_rand = time.perf_counter() - t0
    store.close()
    path.unlink()
    return {"encoding": encoding, "write": n / t_write, "seq": n / t_seq, "rand": n / t_rand, "mb": size / 1e6}


def main() -> None:
    import cv2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crops", type=int, default=20000)
    ap.add_argument("--pets", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/pets09-s2l1")
    ap.add_argument("--folder", type=Path, default=None, help="where to write the temporary stores")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    crops = real_crops(args.pets, 2000)
    source = f"real PETS09 crops ({len(crops)} unique, repeated)" if crops is not None else "synthetic crops"
    if crops is None:
        crops = synthetic_crops(500, rng)
    with tempfile.TemporaryDirectory(dir=args.folder) as d:
        results = [bench(e, crops, args.crops, 32, rng, Path(d)) for e in ("raw", "jpeg")]
    print(f"tracklet store, {args.crops} crops of {H}x{W}, {source}, one core")
    print(f"{'encoding':<9}{'write/s':>10}{'seq read/s':>12}{'rand read/s':>13}{'MB on disk':>12}")
    for r in results:
        print(f"{r['encoding']:<9}{r['write']:>10.0f}{r['seq']:>12.0f}{r['rand']:>13.0f}{r['mb']:>12.1f}")
    raw, jpg = results
    print(f"reference: raw; JPEG is x{jpg['mb'] / raw['mb']:.3f} the size, "
          f"random reads x{jpg['rand'] / raw['rand']:.2f} "
          "the speed; acceptance: random reads >= 3000 crops/s")


if __name__ == "__main__":
    main()
