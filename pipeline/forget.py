"""`pipeline forget`: remove a person (every tracklet near a query, or a global id's tracklets) from
a store, its search indexes and every output derived from it, atomically, one log line per removed
tracklet; around `reid.search.forget`."""
from __future__ import annotations

import argparse

from pipeline.flags import overrides
from pipeline.identity_files import global_id_members
from pipeline.search import add_query_flags
from reid.models.embedding_config import EmbedConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forget", help="remove a person (every tracklet near a query) from a store",
                       description="Finds every tracklet within --max-distance of the query (as `pipeline search` "
                       "ranks them), or every tracklet of --global-id, and rewrites the store without them, replacing "
                       "it only when the new one is whole; each removed tracklet leaves a tombstone (no crop, no box) "
                       "so every other tracklet keeps its number. Deletes the store's search indexes, and empties and "
                       "marks stale every output folder made from the store (their manifest.json says so: match, "
                       "merge, search, topology, render, export-dataset outputs under the store's folder or "
                       "--outputs; learn folders lose their checkpoints, which hold the tracklets' features). Logs "
                       "each removed tracklet to <store>.forget.log. --dry-run lists what would go.")
    p.add_argument("store", help="tracklet store (.h5), rewritten in place unless -o")
    add_query_flags(p, "; removed too")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--min-probability", type=float,
                     help="remove tracklets at least this probably the query's person (the P(same) `pipeline "
                     "search` prints: appearance calibrated on the store, times the learnt camera network)")
    how.add_argument("--max-distance", type=float,
                     help="remove tracklets at most this far from the query (see the distances `pipeline search` "
                     "prints)")
    p.add_argument("-o", "--out", help="write the reduced store here instead of replacing STORE (outputs made from "
                   "STORE are then left as they are)")
    p.add_argument("--outputs", nargs="+", default=[], metavar="DIR",
                   help="more folders to look in for outputs made from the store (default: the store's folder, three "
                   "levels down)")
    p.add_argument("--dry-run", action="store_true", help="list the tracklets that would be removed; change nothing")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math
    from pathlib import Path

    from pipeline.table import format_table
    from reid.search.forget import forget
    from reid.search.query import load_or_build_index, make_query
    from tracking.store import TrackletStore
    from tracklet_reid.config_io import load_config
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import prepare_file

    if args.max_distance is not None and not (math.isfinite(args.max_distance) and args.max_distance >= 0):
        raise InputError(f"--max-distance {args.max_distance}: a finite distance >= 0")
    if args.min_probability is not None and not 0 < args.min_probability <= 1:
        raise InputError(f"--min-probability {args.min_probability}: a probability in (0, 1]")
    if args.global_id is None and args.min_probability is None and args.max_distance is None:
        raise InputError("forget: give --min-probability or --max-distance (how near the query counts as the "
                         "person), or --global-id alone (that person's tracklets)")
    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    store_path = Path(args.store)
    if args.out:
        prepare_file(args.out, {"store": args.store, "--image": args.image}, "reduced store")
    st = TrackletStore(store_path)
    index = load_or_build_index(st, args.model, emb, progress=not args.quiet)
    members: list[tuple[str, int]] = []
    ids_path = None
    tracklet = args.tracklet
    if args.global_id is not None:
        members, ids_path = global_id_members(args.store, args.ids, args.global_id)
        tracklet = f"{members[0][0]}:{members[0][1]}"
    q = make_query(index, st, args.model, emb, args.image, tracklet)
    hits, rule, what = _select(args, index, st, q, members, ids_path)
    st.close()
    if not args.quiet or args.dry_run:
        print(f"{what}: {len(hits)} tracklet(s) {rule}" + (" (dry run: nothing removed)" if args.dry_run else ""))
        if hits:
            print(format_table(["camera", "tracklet", "frames", "distance", "P(same)"],
                               [[h.camera, h.tracklet, f"{h.first_frame}-{h.last_frame}", round(h.distance, 4),
                                 "-" if h.probability is None else f"{h.probability:.2f}"] for h in hits]))
    if args.dry_run or not hits:
        return 0
    done = forget(store_path, hits, what, Path(args.out) if args.out else None, progress=not args.quiet,
                  look_in=[Path(o) for o in args.outputs])
    if not args.quiet:
        print(f"removed {len(hits)} tracklet(s) from {done.store} (tombstones: the other tracklets keep their "
              f"numbers); {done.indexes_removed} search index(es) deleted; log: {done.log}")
        for folder, command, n in done.outputs:
            print(f"  {folder}: {command} output made from the store: {n} file(s) deleted, marked stale in its "
                  "manifest.json" + (" (model.pt kept: it was trained with them)" if command == "learn" else ""))
        if not done.outputs and not args.out:
            print("  no output folder made from the store found (searched its folder"
                  + (" and " + ", ".join(args.outputs) if args.outputs else "") + ")")
    return 0


def _select(args: argparse.Namespace, index, st, q, members: list[tuple[str, int]],  # noqa: PLR0913
            ids_path) -> tuple[list, str, str]:
    """The tracklets to remove (near the query, and a global id's own), the rule that chose them, and
    what the query was."""
    from reid.search.forget import matches, probable_matches

    if args.min_probability is not None:
        hits = probable_matches(index, st, q.vector, q.row, args.min_probability, q.features)
        rule = f"at least {args.min_probability} probably the same person"
    elif args.max_distance is not None:
        hits = matches(index, q.vector, args.max_distance, q.features)
        rule = f"within {args.max_distance}"
    else:
        hits, rule = [], ""
    if not members:
        return hits, rule, q.text
    hits = with_members(index, hits, members, q.vector, q.features)
    return hits, f"of global id {args.global_id} in {ids_path}" + (f" or {rule}" if rule else ""), \
        f"global id {args.global_id}"


def with_members(index, hits: list, members: list[tuple[str, int]], query, features) -> list:
    """``hits`` and every member tracklet of a global id not among them, each with its distance."""
    import numpy as np

    from reid.search.query import distances, tracklet_row
    from reid.search.query import hits as make_hits

    have = {(h.camera, h.tracklet) for h in hits}
    rows = [tracklet_row(index, c, t) for c, t in members if (c, t) not in have]
    extra = make_hits(index, np.asarray(rows, np.int64), distances(features, query))
    return sorted([*hits, *extra], key=lambda h: h.distance)
