"""A Benchmark into a new tracklet store: one camera per benchmark camera, the `tracklet_set`
column, and the root attributes `benchmark`, `junk_ids` and `splits`."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from reid.datasets.common import Benchmark, Item


def write_benchmark(bench: Benchmark, out: Path, crop_hw: tuple[int, int] = (256, 128),
                    progress: bool = True) -> dict:
    """Write every item into a new store, one camera per benchmark camera."""
    from tracklet_reid.output_paths import prepare_file

    prepare_file(out, None, "tracklet store")
    by_cam: dict[int, list[Item]] = defaultdict(list)
    for it in bench.items:
        by_cam[it.cam].append(it)
    total = sum(len(it.paths) for it in bench.items)
    counts = {"tracklets": 0, "images": 0, "unreadable": 0}
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        tmp.unlink()
    try:
        _write(bench, by_cam, tmp, crop_hw, total, counts, progress)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed or interrupted import leaves nothing behind
        raise
    tmp.rename(out)  # a killed import never leaves a file that looks finished
    return counts


def _write(bench: Benchmark, by_cam: dict[int, list[Item]], tmp: Path, crop_hw: tuple[int, int], total: int,
           counts: dict, progress: bool) -> None:
    import cv2
    from tqdm import tqdm

    from tracking.store import StoreWriter, encode_crop

    with StoreWriter(tmp, crop_hw=crop_hw) as w, tqdm(total=total, unit="img", disable=None if progress else True,
                                                      desc=f"import {bench.name}") as bar:
        w.set_attrs(benchmark=bench.name, junk_ids=list(bench.junk_ids))
        if bench.splits is not None:
            w.set_attrs(splits=bench.splits)
        for cam in sorted(by_cam):
            cw = w.camera((bench.camera_names or {}).get(cam, f"c{cam}"))
            sets = []
            for it in by_cam[cam]:
                bufs, frames = [], []
                for p, f in zip(it.paths, it.frames or range(len(it.paths))):
                    img = cv2.imread(str(p))
                    bar.update(1)
                    if img is None:
                        counts["unreadable"] += 1
                        continue
                    img = cv2.resize(img, (crop_hw[1], crop_hw[0]), interpolation=cv2.INTER_AREA)
                    bufs.append(encode_crop(img[:, :, ::-1], "jpeg"))
                    frames.append(int(f))
                if not bufs:
                    continue
                n = len(bufs)
                cw.add_tracklet(bufs, frames, np.zeros((n, 4)), np.ones(n), counts["tracklets"], gt_identity=it.pid,
                                encoded=True)
                sets.append(int(it.tracklet_set))
                counts["tracklets"] += 1
                counts["images"] += n
            cw.add_tracklet_column("tracklet_set", np.asarray(sets, np.uint8))
            cw.finish()
