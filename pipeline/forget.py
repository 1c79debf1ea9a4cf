"""`pipeline forget`: remove a person (every tracklet near a query) from a store and its search
indexes, atomically, one log line per removed tracklet; around `reid.search.forget`."""
from __future__ import annotations

import argparse

from pipeline.flags import overrides
from pipeline.search import add_query_flags
from reid.models.embedding_config import EmbedConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forget", help="remove a person (every tracklet near a query) from a store",
                       description="Finds every tracklet within --max-distance of the query (as `pipeline search` "
                       "ranks them) and rewrites the store without them, replacing it only when the new one is "
                       "whole; deletes the store's search indexes; logs each removed tracklet to "
                       "<store>.forget.log. --dry-run lists what would go.")
    p.add_argument("store", help="tracklet store (.h5), rewritten in place unless -o")
    add_query_flags(p, "; removed too")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--min-probability", type=float,
                     help="remove tracklets at least this probably the query's person (the P(same) `pipeline "
                     "search` prints: appearance calibrated on the store, times the learnt camera network)")
    how.add_argument("--max-distance", type=float,
                     help="remove tracklets at most this far from the query (see the distances `pipeline search` "
                     "prints)")
    p.add_argument("-o", "--out", help="write the reduced store here instead of replacing STORE")
    p.add_argument("--dry-run", action="store_true", help="list the tracklets that would be removed; change nothing")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math
    from pathlib import Path

    from pipeline.table import format_table
    from reid.search.forget import forget, matches, probable_matches
    from reid.search.query import load_or_build_index, make_query
    from tracking.store import TrackletStore
    from tracklet_reid.config_io import load_config
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import prepare_file

    if args.max_distance is not None and not (math.isfinite(args.max_distance) and args.max_distance >= 0):
        raise InputError(f"--max-distance {args.max_distance}: a finite distance >= 0")
    if args.min_probability is not None and not 0 < args.min_probability <= 1:
        raise InputError(f"--min-probability {args.min_probability}: a probability in (0, 1]")
    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    store_path = Path(args.store)
    if args.out:
        prepare_file(args.out, {"store": args.store, "--image": args.image}, "reduced store")
    st = TrackletStore(store_path)
    index = load_or_build_index(st, args.model, emb, progress=not args.quiet)
    q = make_query(index, st, args.model, emb, args.image, args.tracklet)
    if args.min_probability is not None:
        hits = probable_matches(index, st, q.vector, q.row, args.min_probability, q.features)
        rule = f"at least {args.min_probability} probably the same person"
    else:
        hits = matches(index, q.vector, args.max_distance, q.features)
        rule = f"within {args.max_distance}"
    what = q.text
    st.close()
    if not args.quiet or args.dry_run:
        print(f"{what}: {len(hits)} tracklet(s) {rule}" + (" (dry run: nothing removed)" if args.dry_run else ""))
        if hits:
            print(format_table(["camera", "tracklet", "frames", "distance", "P(same)"],
                               [[h.camera, h.tracklet, f"{h.first_frame}-{h.last_frame}", round(h.distance, 4),
                                 "-" if h.probability is None else f"{h.probability:.2f}"] for h in hits]))
    if args.dry_run or not hits:
        return 0
    done = forget(store_path, hits, what, Path(args.out) if args.out else None, progress=not args.quiet)
    if not args.quiet:
        print(f"removed {len(hits)} tracklet(s) from {done.store}; {done.indexes_removed} search index(es) deleted; "
              f"log: {done.log}")
    return 0
