"""The store at scale: memory and seconds from a store of N tracklets to learning's first batch.

    python tools/bench_learn_start.py [--tracklets 1000000 --cameras 20] [--store S.h5]

Without --store, writes a store of --tracklets tracklets over --cameras cameras (4 tiny raw crops
each: the metadata is what scales here, not the pixels) into a temporary folder. Then, each timed
and its memory traced (tracemalloc sees numpy's allocations): opening the store and building the
TrackletIndex `learn` iterates, one epoch of the balanced sampler's batches, and the DataLoader's
first batch. Printed beside them, the sizes that grow with the tracklet count in UTAL itself at
the paper's settings (2048-D): the tracklet memory and the per-camera classifiers with Adam's
state, computed. Acceptance (issue 16): at 1,000,000 tracklets, learning starts in under a minute.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.tracklet_index import TrackletIndex  # noqa: E402
from reid.utal.sampler import BalancedTrackletSampler, CropDataset  # noqa: E402
from tracking.store import StoreWriter, TrackletStore  # noqa: E402


def write_store(path: Path, tracklets: int, cameras: int, crops: int = 4) -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (crops, 16, 8, 3), dtype=np.uint8)
    per = tracklets // cameras
    with StoreWriter(path, crop_hw=(16, 8), encoding="raw") as w:
        for c in range(cameras):
            cam = w.camera(f"c{c:02d}")
            for t in range(per):
                f0 = 10 * t
                cam.add_tracklet(img, np.arange(f0, f0 + crops), np.zeros((crops, 4)), np.ones(crops), t)
            cam.finish()


def measured(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, sec, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracklets", type=int, default=1_000_000)
    ap.add_argument("--cameras", type=int, default=20)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--batch-size", type=int, default=384)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = args.store
        if path is None:
            path = Path(d) / "scale.h5"
            t0 = time.perf_counter()
            write_store(path, args.tracklets, args.cameras)
            print(f"wrote {args.tracklets} tracklets x {args.cameras} cameras in {time.perf_counter() - t0:.0f} s "
                  f"({path.stat().st_size / 2**20:.0f} MB)")
        rows = []
        store, t_open, m_open = measured(lambda: TrackletStore(path))
        rows.append(("open the store", t_open, m_open))
        index, t_idx, m_idx = measured(lambda: TrackletIndex.from_store(store))
        rows.append((f"TrackletIndex ({index.num_tracklets} tracklets)", t_idx, m_idx))
        sampler = BalancedTrackletSampler(index, args.batch_size, 4)
        batches, t_b, m_b = measured(sampler.batches)
        rows.append((f"sampler: one epoch's batches ({len(batches)})", t_b, m_b))
        ds = CropDataset(store, index, (256, 128), train=True)
        loader = torch.utils.data.DataLoader(ds, batch_sampler=[batches[0]], num_workers=0,
                                             collate_fn=lambda items: len(items))
        _, t_first, m_first = measured(lambda: next(iter(loader)))
        rows.append(("DataLoader: first batch", t_first, m_first))
        total = sum(r[1] for r in rows)
        print(f"{'step':<44}{'seconds':>9}{'peak MB':>9}")
        for name, s, m in rows:
            print(f"{name:<44}{s:>9.2f}{m:>9.0f}")
        print(f"store to first batch: {total:.1f} s (acceptance < 60 s at 1,000,000 tracklets)")
        n, dim = index.num_tracklets, 2048
        print(f"UTAL at {n} tracklets, {dim}-D (computed): tracklet memory {n * dim * 4 / 2**30:.1f} GB; per-camera "
              f"classifiers {n * dim * 4 / 2**30:.1f} GB of weights + {2 * n * dim * 4 / 2**30:.1f} GB of Adam state")


if __name__ == "__main__":
    main()
