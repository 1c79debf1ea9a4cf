"""`pipeline import`: a public re-id benchmark's folder layout into a tracklet store."""
from __future__ import annotations

import argparse

FORMATS = ("market1501", "dukemtmc-reid", "msmt17", "cuhk03-labeled", "cuhk03-detected", "mars",
           "ilids-vid", "prid2011", "dukemtmc-videoreid", "dukemtmc-si-tracklet")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a public re-id benchmark into a tracklet store",
                       description="Reads the benchmark's official folder layout; see the README for each one.")
    p.add_argument("format", choices=FORMATS)
    p.add_argument("root", help="the benchmark's folder")
    p.add_argument("-o", "--out", required=True, help="store to create (.h5)")
    p.add_argument("--one-per-camera", action="store_true", help="keep one training tracklet per person and "
                   "camera, the longest (the paper's Table 7 setting: no fragmentation; formed from the "
                   "benchmark's labels, never read by learning)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collections import Counter
    from pathlib import Path

    from reid.datasets import FORMATS as READERS
    from reid.datasets import write_benchmark
    from reid.datasets.common import read_camera_names
    from tracking.store import TrackletSet

    bench = READERS[args.format](Path(args.root))
    bench.camera_names = read_camera_names(Path(args.root))  # an export of ours names its cameras
    if args.one_per_camera:
        from reid.datasets.common import one_per_camera

        before = sum(it.tracklet_set == TrackletSet.TRAIN for it in bench.items)
        bench = one_per_camera(bench)
        after = sum(it.tracklet_set == TrackletSet.TRAIN for it in bench.items)
        print(f"{bench.name}: one training tracklet per person and camera: {before} -> {after}")
    counts = write_benchmark(bench, Path(args.out), progress=not args.quiet)
    names = {TrackletSet.TRAIN: "train", TrackletSet.QUERY: "query", TrackletSet.GALLERY: "gallery",
             TrackletSet.TEST: "test (by split)"}
    per_set = Counter(names[TrackletSet(it.tracklet_set)] for it in bench.items)
    print(f"{bench.name}: {counts['tracklets']} tracklets ({', '.join(f'{v} {k}' for k, v in per_set.items())}), "
          f"{counts['images']} images -> {args.out}" + (f"; {counts['unreadable']} unreadable image(s) skipped"
                                                       if counts["unreadable"] else "")
          + (f"; {len(bench.splits)} splits saved" if bench.splits else ""))
    return 0
