"""`pipeline inspect`: summarise a tracklet store (cameras, tracklets, crops, size)."""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise a tracklet store (cameras, tracklets, crops, size)")
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.table import format_table
    from tracking.store import TrackletStore
    from tracking.store_summary import summarize

    with TrackletStore(args.store) as store:
        s = summarize(store)
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        t = s["total"]
        print(
            f"{s['file']}: schema v{s['schema_version']}, crops {s['crop_size'][0]}x{s['crop_size'][1]} "
            f"{s['crop_encoding']}, {s['bytes_on_disk'] / 1e6:.1f} MB on disk, created by "
            f"{s['created_by']} at {s['created_at']}"
        )
        headers = ["camera", "complete", "tracklets", "crops", "len min", "len median", "len max", "gt ids"]
        rows = [
            [c["camera"], c["complete"], c["tracklets"], c["crops"], c["length_min"],
             c["length_median"], c["length_max"], c["identities"]]
            for c in s["cameras"]
        ]
        rows.append(["total", f"{t['complete_cameras']}/{t['cameras']}", t["tracklets"], t["crops"],
                     t["length_min"], t["length_median"], t["length_max"], None])
        print(format_table(headers, rows))
    incomplete = [c["camera"] for c in s["cameras"] if not c["complete"]]
    if incomplete:
        print(
            f"pipeline inspect: error: {s['file']}: camera(s) {', '.join(incomplete)} incomplete "
            "(writer interrupted); rerun extract to resume them",
            file=sys.stderr,
        )
        return 1
    if not s["cameras"]:
        print(f"pipeline inspect: error: {s['file']}: store holds no camera", file=sys.stderr)
        return 1
    return 0
