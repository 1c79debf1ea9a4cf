"""`pipeline search`: find a person in every camera: ranked appearances of a query image or
tracklet, as a terminal table, search.csv and search.html; around `reid.search.query`."""
from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.flags import add_config_flags, overrides
from pipeline.identity_files import add_global_id_flags
from reid.models.embedding_config import MODEL_HELP, EmbedConfig

WRITES = ("search.csv", "search.html")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find a person (an image or a tracklet) in every camera",
                       description="Ranks every tracklet of the store by distance to the query. The store's "
                       "features are computed once per model and kept beside the store (<store>.search-<key>.npz, "
                       "rebuilt when the store or the model changes).")
    p.add_argument("store", help="tracklet store (.h5)")
    add_query_flags(p)
    p.add_argument("--top", type=int, default=20, help="appearances to list (default 20)")
    p.add_argument("-o", "--out", help="folder for search.csv and search.html (default: the terminal only)")
    p.add_argument("--blur-faces", action="store_true", help="blur the head region of every picture on the page")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def add_query_flags(p: argparse.ArgumentParser, tracklet_note: str = "") -> None:
    """The flags `reid.search.query.make_query` reads: the model, the query (an image or a tracklet) and
    how to embed (search and forget)."""
    p.add_argument("--model", required=True, help=MODEL_HELP)
    q = p.add_mutually_exclusive_group(required=True)
    q.add_argument("--image", help="an image of one person (a crop, as a detector would give)")
    q.add_argument("--tracklet", help="CAMERA:ID, a tracklet of the store (ids as in merge/match CSVs)" + tracklet_note)
    add_global_id_flags(p, q)
    add_config_flags(p.add_argument_group("embedding"), EmbedConfig)


def run(args: argparse.Namespace) -> int:
    from tracklet_reid.config_io import load_config

    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    tracklet = global_id_query(args) or args.tracklet
    run_search(args.store, args.model, args.image, tracklet, args.top, args.out, emb, args.quiet,
               args.blur_faces)
    return 0


def global_id_query(args: argparse.Namespace) -> str | None:
    """``--global-id N`` as the ``CAMERA:ID`` of that person's longest tracklet (said in one line)."""
    import sys

    from pipeline.identity_files import global_id_members

    if args.global_id is None:
        return None
    members, path = global_id_members(args.store, args.ids, args.global_id)
    cam, t = members[0]
    if not args.quiet:
        print(f"global id {args.global_id} ({path}): {len(members)} tracklet(s); query: its longest, {cam}:{t}",
              file=sys.stderr)
    return f"{cam}:{t}"


# noqa reason: the command's inputs: store, model, one of two queries, how many, where, how to embed
def run_search(store: str, model: str, image: str | None, tracklet: str | None,  # noqa: PLR0913
               top: int = 20, out: str | None = None, emb: EmbedConfig = EmbedConfig(),
               quiet: bool = False, blur_faces: bool = False) -> dict:
    """Ranked appearances of the query; writes search.csv and search.html into ``out`` if given."""
    import contextlib
    import dataclasses
    import time

    from reid.search.query import load_or_build_index, make_query, rank_probable
    from tracking.store import TrackletStore
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import output_folder

    if top < 1:
        raise InputError(f"--top {top}: must be at least 1")
    settings = {"model": model, "tracklet": tracklet, "top": top, "blur_faces": blur_faces, **dataclasses.asdict(emb)}
    # the output folder claimed before the index is built: a refusal (an input there, our files without
    # a manifest, blurred pages about to be replaced) costs nothing
    claimed = (output_folder(out, {"store": store, "--image": image, "--model": model}, WRITES, command="search",
                             settings=settings) if out else contextlib.nullcontext(None))
    with claimed as out_p:
        st = TrackletStore(store)
        t0 = time.perf_counter()
        index = load_or_build_index(st, model, emb, progress=not quiet)
        q = make_query(index, st, model, emb, image, tracklet)
        hits = rank_probable(index, st, q.vector, top, q.row, q.features)
        seconds = time.perf_counter() - t0
        result = {"query": q.text, "model": index.model_name, "index": str(index.path), "index_built": index.built,
                  "seconds": seconds, "hits": [h.__dict__ for h in hits]}
        if not quiet:
            _print(result, hits, st)
        if out_p is not None:
            _write(out_p, st, index, q.row, str(image) if image else None, hits, result, blur_faces)
    return result


def _span(st, camera: str, first: int, last: int) -> str:
    """When the tracklet was seen on the network's clock: a date-time where the store's clock is
    one (extract --start-time), else seconds from the start."""
    import datetime as dt

    from tracking.store.schema import camera_clock

    clock = camera_clock(st.camera(camera).attrs)
    if clock is None:
        return ""
    fps, start = clock
    a, b = start + first / fps, start + last / fps
    if start < 1e8:  # seconds from the recordings' start, not a date
        return f"{a:.1f}-{b:.1f} s"
    return (dt.datetime.fromtimestamp(a, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-5] + "-"
            + dt.datetime.fromtimestamp(b, dt.timezone.utc).strftime("%H:%M:%S.%f")[:-5] + " UTC")


def _print(result: dict, hits, st) -> None:
    from pipeline.table import format_table

    print(f"{result['query']} with {result['model']} ({'index built' if result['index_built'] else 'index read'}, "
          f"{result['seconds']:.2f} s)")
    rows = [[h.rank, h.camera, h.tracklet, f"{h.first_frame}-{h.last_frame}",
             _span(st, h.camera, h.first_frame, h.last_frame), round(h.distance, 4), _p(h.probability)] for h in hits]
    from reid.search.same_person import PROBABLY_SAME

    cut = probable_count(hits)
    table = format_table(["rank", "camera", "tracklet", "frames", "time", "distance", "P(same)"], rows).splitlines()
    if cut is not None:  # a line under the last hit that is more likely the query's person than not
        table.insert(2 + cut, f"---- below: probably not the same person (P(same) < {PROBABLY_SAME}) ----")
    print("\n".join(table))
    if cut is None:
        print("P(same): not calibrated (too few confident cross-camera matches in this store to fit it on)")


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.2f}"


def probable_count(hits) -> int | None:
    """How many hits from the top are probably the query's person (None: no probabilities)."""
    from reid.search.same_person import PROBABLY_SAME

    if not hits or hits[0].probability is None:
        return None
    below = [k for k, h in enumerate(hits) if h.probability < PROBABLY_SAME]
    return below[0] if below else len(hits)


# noqa reason: the page needs the store (thumbnails), the index, the query (a row or an image) and the hits
def _write(out: Path, st, index, row, image: str | None, hits, result: dict,  # noqa: PLR0913
           blur: bool = False) -> None:
    import csv

    import cv2
    import numpy as np

    from pipeline.outputs import BORDER_LEGEND, GREEN, RED, THUMB_HEIGHT, captioned, crop_thumb, framed
    from pipeline.report import HtmlReport, img_tag, to_height
    from tracking.render import blur_crop_head

    with open(out / "search.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["rank", "camera", "tracklet", "first_frame", "last_frame", "distance", "p_same"])
        for h in hits:
            w.writerow([h.rank, h.camera, h.tracklet, h.first_frame, h.last_frame, f"{h.distance:.4f}",
                        "" if h.probability is None else f"{h.probability:.4f}"])

    def thumb(g: int) -> np.ndarray:
        cam = index.cameras[index.camera_of[g]]
        t = st.camera(cam).tracklets[int(index.local_of[g])]
        return crop_thumb(st, cam, int(t["start"] + t["count"] // 2), blur=blur)

    if row is not None:
        q = thumb(row)
    else:
        img = cv2.imread(str(image))
        if img is None:  # read once already for the query; gone since
            img = np.full((THUMB_HEIGHT, THUMB_HEIGHT // 2, 3), 160, np.uint8)
        q = to_height(np.ascontiguousarray(img[:, :, ::-1]), THUMB_HEIGHT)
        if blur:
            q = blur_crop_head(q, margin=0.0)
    qgt = int(index.gt[row]) if row is not None else -1
    rep = HtmlReport("pipeline search")
    rep.text(f"query: {result['query']}; model: {result['model']}; {len(hits)} appearances, nearest first")
    rep.images([img_tag(framed(np.ascontiguousarray(q), (40, 40, 200)), title="query")], "query")
    tags = []
    for h in hits:
        col = None if qgt < 0 or index.gt[h.row] < 0 else (GREEN if index.gt[h.row] == qgt else RED)
        below = f"d {h.distance:.2f}" + ("" if h.probability is None else f" P {h.probability:.2f}")
        tags.append(img_tag(captioned(framed(thumb(h.row), col), f"#{h.rank} {h.camera}"[:14], below),
                            title=f"#{h.rank} {h.camera} tracklet {h.tracklet} frames {h.first_frame}-{h.last_frame} "
                            f"d={h.distance:.3f} P(same)={_p(h.probability)}"))
    truth = qgt >= 0 and bool((index.gt >= 0).any())
    rep.images(tags, f"the {len(hits)} nearest appearances of {len(index.camera_of)} tracklets, nearest first: "
               "rank and camera above each, distance (d, smaller is more alike) and, where calibrated, the probability "
               "of being the query's person (P) below; hover for tracklet and frames. "
               + (BORDER_LEGEND.format(what="the query") if truth else ""))
    from reid.search.same_person import PROBABLY_SAME

    cut = probable_count(hits)
    if cut is not None:
        rep.text(f"{cut} of {len(hits)} appearances are probably the query's person (P(same) >= {PROBABLY_SAME}: "
                 "appearance calibrated on this store's own matches, times the learnt camera network's evidence)")
    rep.table(["rank", "camera", "tracklet", "frames", "distance", "P(same)"],
              [[h.rank, h.camera, h.tracklet, f"{h.first_frame}-{h.last_frame}", round(h.distance, 4),
                _p(h.probability)] for h in hits])
    rep.write(out / "search.html")
