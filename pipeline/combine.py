"""`pipeline combine`: join stores extracted on several machines into one; around
`tracking.combine`."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("combine", help="join stores of one network's cameras (extract --cameras) into one",
                       description="Every camera of the inputs into one store. The inputs must share the extract "
                       "settings (file paths aside) and crop format, and hold no camera twice.")
    p.add_argument("stores", nargs="+", help="tracklet stores (.h5)")
    p.add_argument("-o", "--out", required=True, help="store to create (.h5)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tracking.combine import combine_stores
    from tracklet_reid.output_paths import prepare_file

    prepare_file(args.out, {f"store {i + 1}": s for i, s in enumerate(args.stores)}, "combined store")
    origin = combine_stores([Path(s) for s in args.stores], Path(args.out))
    if not args.quiet:
        print(f"{args.out}: {len(origin)} cameras from {len(args.stores)} stores")
    return 0
