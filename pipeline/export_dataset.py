"""`pipeline export-dataset`: a store's tracklets as a re-id training set in the Market-1501 or MARS
layout (optionally with merge's or match's identities), around `reid.datasets.export`."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-dataset", help="write a store's tracklets as a Market-1501 or MARS training set",
                       description="Every tracklet of the store's complete cameras into the training part of a "
                       "benchmark layout other re-id tools read (and `pipeline import` reads back). Identities: "
                       "one per tracklet, or merge's / match's with --labels.")
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("-o", "--out", required=True, help="dataset folder to create")
    p.add_argument("--layout", default="mars", choices=("mars", "market1501"),
                   help="mars: video tracklets (default); market1501: images (tracklets of one identity "
                   "in one camera become one group)")
    p.add_argument("--labels", help="trajectories.csv (merge) or global_ids.csv (match) whose ids to use")
    p.add_argument("--global-id", type=int, help="export this person alone (the number match's global_ids.csv "
                   "and render give; read from --ids)")
    p.add_argument("--ids", help="match's global_ids.csv or output folder, for --global-id (default: the one match "
                   "output beside the store)")
    p.add_argument("--blur-faces", action="store_true", help="blur each crop's head region (as render does; the "
                   "crops are encoded again)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reid.datasets.export import export_dataset, read_labels
    from reid.tracklet_index import TrackletIndex
    from tracking.store import TrackletStore
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import output_folder, prepare_file

    out = Path(args.out)
    if out.exists():
        raise InputError(f"{out}: exists already; choose another name or delete it first")
    inputs = {"store": args.store, "--labels": args.labels}
    prepare_file(out, inputs, "dataset folder")
    store = TrackletStore(args.store)
    only = None
    if args.global_id is not None:
        if args.labels:
            raise InputError("--global-id and --labels: give one (--global-id exports one person under its id)")
        from pipeline.identity_files import global_id_members

        only, ids_path = global_id_members(args.store, args.ids, args.global_id)
        inputs = {**inputs, "--ids": str(ids_path)}
    labels = read_labels(args.labels, TrackletIndex.from_store(store)) if args.labels else None
    settings = {"layout": args.layout, "labels": args.labels, "blur_faces": args.blur_faces,
                "global_id": args.global_id}
    with output_folder(out, inputs, what="dataset folder", command="export-dataset", settings=settings):
        s = export_dataset(store, out, args.layout, labels, progress=not args.quiet, blur_faces=args.blur_faces,
                           only=only)
    print(f"{args.store} -> {out} ({s.layout}): {s.tracklets} tracklets, {s.images} images, {s.identities} "
          f"identities, cameras " + ", ".join(f"{c} = {n}" for c, n in s.cameras.items()))
    return 0
