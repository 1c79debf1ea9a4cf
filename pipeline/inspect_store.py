"""`pipeline inspect`: summarise a tracklet store (cameras, tracklets, crops, size)."""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise a tracklet store (cameras, tracklets, crops, size)")
    p.add_argument("store", help="tracklet store (.h5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--verify", action="store_true", help="also check every camera's data against the checksum "
                   "written when it was finished (reads the whole store)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.table import format_table
    from tracking.multi_camera import cameras_in_progress
    from tracking.store import TrackletStore
    from tracking.store_summary import summarize

    with TrackletStore(args.store) as store:
        s = summarize(store)
        verified = {c: store.verify(c) for c in store.cameras} if args.verify else {}
    in_progress = cameras_in_progress(args.store)
    s["in_progress"] = in_progress
    if args.verify:
        s["checksums_match"] = verified
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        t = s["total"]
        print(
            f"{s['file']}: schema v{s['schema_version']}, crops {s['crop_size'][0]}x{s['crop_size'][1]} "
            f"{s['crop_encoding']}, {s['bytes_on_disk'] / 1e6:.1f} MB on disk, created by "
            f"{s['created_by']} at {s['created_at']}"
        )
        headers = ["camera", "complete", "tracklets", "crops", "frames min", "frames median", "frames max", "gt ids"]
        rows = [
            [c["camera"], c["complete"], c["tracklets"], c["crops"], c["frames_min"],
             c["frames_median"], c["frames_max"], c["identities"]]
            for c in s["cameras"]
        ]
        skipped = s["skipped_cameras"]
        rows.append(["total", f"{t['complete_cameras']}/{t['cameras']}" + (f" (+{len(skipped)} skipped)" if skipped
                                                                           else ""),
                     t["tracklets"], t["crops"], t["frames_min"], t["frames_median"], t["frames_max"], None])
        print(format_table(headers, rows))
        for c in s["cameras"]:
            for note in c["warnings"]:
                print(f"{c['camera']}: {note}")
        for name, why in skipped.items():
            print(f"{name}: not in the store: skipped by extract --skip-bad-cameras ({why})")
    problems = _problems(s, verified, in_progress)
    for line in problems:
        print(f"pipeline inspect: error: {line}", file=sys.stderr)
    if args.verify and not problems:
        unchecked = [c for c, ok in verified.items() if ok is None]
        print(f"verified: {len(verified) - len(unchecked)} camera(s) match their checksums"
              + (f"; {', '.join(unchecked)} have none (older store)" if unchecked else ""))
    return 1 if problems else 0


def _problems(s: dict, verified: dict, in_progress: list[str]) -> list[str]:
    """Every reason the store is not fit to use as is, one line each."""
    out = []
    incomplete = [c["camera"] for c in s["cameras"] if not c["complete"]]
    if incomplete:
        out.append(f"{s['file']}: camera(s) {', '.join(incomplete)} incomplete (writer interrupted); rerun extract "
                   "to resume them")
    if in_progress:
        out.append(f"{s['file']}: camera(s) {', '.join(in_progress)} still being extracted or interrupted (part "
                   "files beside the store); rerun extract to finish them")
    bad = [c for c, ok in verified.items() if ok is False]
    if bad:
        out.append(f"{s['file']}: camera(s) {', '.join(bad)} do not match their checksums: the file was changed "
                   "or damaged after writing")
    if not s["cameras"]:
        out.append(f"{s['file']}: store holds no camera")
    return out
