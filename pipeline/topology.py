"""`pipeline topology`: the camera network learnt from the store's tracklets without labels
(walking links and their transit times, cameras watching one place, clock offsets, zones,
re-entries), written as topology.json and drawn in topology.html; files around
`reid.spacetime.network_model.learn_topology`."""
from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.flags import add_config_flags, overrides
from reid.models.embedding_config import MODEL_HELP, EmbedConfig

WRITES = ("topology.json", "topology.html")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topology", help="learn the camera network (links, transit times, shared views, clock "
                       "offsets, zones) from the tracklets, without labels",
                       description="Confident appearance matches across cameras, set against the timing of any "
                       "two tracklets of the same cameras: peaks above chance are people walking a link or seen "
                       "at once by two views; clock offsets from the symmetry of walks both ways. Writes "
                       "topology.json (edit it: forbid a link, fix an offset, and pass it back with --topology to "
                       "this command or to match) and topology.html.")
    p.add_argument("store", help="tracklet store (.h5) from `pipeline extract`")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--topology", help="an edited topology.json: its forbidden links and fixed offsets hold in the "
                   "new fit")
    add_config_flags(p.add_argument_group("embedding"), EmbedConfig)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracklet_reid.config_io import load_config

    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    run_topology(args.store, args.model, args.out, emb, args.topology, args.quiet)
    return 0


# noqa reason: the command's inputs stay named (store, model, output folder, embedding, an edited file)
def run_topology(store: str, model: str, out: str, emb: EmbedConfig = EmbedConfig(),  # noqa: PLR0913
                 topology: str | None = None, quiet: bool = False) -> dict:
    """Learn the network, write topology.json and topology.html into ``out``; returns the summary."""
    from pipeline.association_run import embed_for_association
    from pipeline.topology_page import write_page
    from reid.association.config import MatchConfig
    from reid.association.network import network_neighbours
    from reid.spacetime.network_model import fixed_from_file, learn_topology, why_no_times
    from reid.spacetime.topology_file import read_topology, topology_summary, write_topology
    from tracking.store import TrackletStore
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import output_folder

    inputs = {"store": store, "--topology": topology}
    import dataclasses

    with output_folder(out, {**inputs, "--model": model}, WRITES, command="topology",
                       settings={"model": model, **dataclasses.asdict(emb)}) as out_p:
        with TrackletStore(store) as st:  # before any embedding: a store without times is refused at once
            if not st.frames_are_time:
                raise InputError(f"{store}: cannot learn the camera network: the store has no times (an imported "
                                 "benchmark: its frame numbers restart in every tracklet)")
        tf = embed_for_association(store, model, emb, None, quiet)
        why = why_no_times(tf.index)
        if why is not None:
            raise InputError(f"{store}: cannot learn the camera network: {why}")
        fixed = fixed_from_file(read_topology(topology, tf.index.cameras)) if topology else None
        nb = network_neighbours(tf.across, tf.index, MatchConfig())
        topo = learn_topology(tf.across, tf.index, nb, fixed)
        summary = {"model": tf.model + (" + camera norm" if tf.camera_norm else ""), **topology_summary(topo)}
        write_topology(topo, out_p / "topology.json", summary)
        page = write_page(topo, tf, summary, out_p / "topology.html")
        summary["report"] = str(page)
        if not quiet:
            print_topology(topo, summary, out_p)
        return summary


def print_topology(topo, summary: dict, out: Path) -> None:
    from pipeline.table import format_table

    names = topo.cameras
    rows = [[names[r.source], names[r.target], r.kind, r.transit, r.sd, r.matches, r.gain]
            for r in sorted(topo.routes(), key=lambda r: (r.kind != "transit", r.kind, -r.matches))
            if r.kind != "indirect"]
    print(format_table(["from", "to", "kind", "transit s", "spread s", "matches", "evidence"], rows)
          if rows else "no route: no camera pair's confident matches stand out from chance in time")
    indirect = sum(r.kind == "indirect" for r in topo.routes())
    print(f"{len(summary['links'])} walking links, {len(summary['overlapping'])} camera pairs watching one place, "
          f"{len(summary['re_entries'])} cameras with re-entries, {indirect} indirect routes (walks through a third "
          f"camera); {summary['explained_by_time']:.0%} of {summary['matches']} confident matches explained by time")
    known = [f"{n} {o:+.1f} s" for n, o, k in zip(names, topo.offsets, topo.offset_known) if k]
    if known:
        print("clock offsets (relative to the first camera of each connected group): " + ", ".join(known))
    print(f"wrote {out / 'topology.json'} and {out / 'topology.html'}")
