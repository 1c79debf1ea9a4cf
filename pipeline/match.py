"""`pipeline match`: ranked cross-camera matches and global identities; files and reports
around `reid.association.match_cameras`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.association_run import add_common
from pipeline.flags import add_config_flags, overrides
from reid.association.config import MatchConfig
from reid.models.embedding_config import EmbedConfig

if TYPE_CHECKING:
    from pipeline.association_run import AssociationRun
    from reid.eval.association import MatchScores
    from reid.models.embedding import TrackletFeatures

# what match writes into its folder: an input found at one of these is refused, never replaced
WRITES = ("ranked.csv", "global_ids.csv", "match.json", "mot", "report.html", "identities.png", "identities")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("match", help="ranked cross-camera matches and global identities",
                       description="Mutual nearest neighbours across cameras, strongest first, closer than a "
                       "distance read from the data; with disjoint views never joining tracklets that overlap in "
                       "time (camera clocks taken as synchronised), with overlapping views linking tracklets seen "
                       "at once first.")
    add_common(p)
    add_config_flags(p.add_argument_group("match (and the merge that seeds it)"), MatchConfig)
    p.add_argument("--gt", help="folder of per-camera MOT ground truth with global ids: multi-camera IDF1/HOTA "
                   "of the tracker output before (every track its own person) and after")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.association_run import baseline_spec
    from tracklet_reid.config_io import load_config

    cfg = load_config(MatchConfig, None, overrides(args, MatchConfig))
    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    run_match(args.store, args.model, args.out, cfg, emb, args.mot, baseline_spec(args), args.quiet, args.gt,
              args.blur_faces)
    return 0


# noqa reason: as run_merge: the store, model, output folder, two configs and the files to score against
def run_match(store: str, model: str, out: str,  # noqa: PLR0913
              cfg: MatchConfig = MatchConfig(), emb: EmbedConfig = EmbedConfig(), mot_dir: str | None = None,
              baseline: str | None = None, quiet: bool = False,
              gt_dir: str | None = None, blur_faces: bool = False) -> dict:
    """Match, score against ground truth where the store has it (and multi-camera tracking scores
    against ``gt_dir``), write ranked.csv, global_ids.csv, match.json, mot/ and report.html into
    ``out``; returns the report's dict."""
    from pipeline.association_run import run_association

    cfg.validate()
    return run_association("match", WRITES, lambda run: _match(run, cfg), store, model, out, emb, mot_dir, gt_dir,
                           baseline, quiet, blur_faces, check=_two_cameras, across_cameras=True)


def _two_cameras(tf: TrackletFeatures) -> None:
    from tracklet_reid.errors import InputError

    if len(tf.index.cameras) < 2:
        raise InputError(f"{tf.store.path}: matching across cameras needs at least two cameras with tracklets "
                         f"(has {', '.join(tf.index.cameras)})")


def score_fields(scores: MatchScores) -> dict:
    """The report's fields of match's scores: those measured (none without ground truth), the
    multi-camera ones as MULTI_CAMERA_KEYS."""
    from tracking.mot_metrics import MULTI_CAMERA_KEYS

    out = {k: v for k, v in scores.as_dict().items() if v is not None and k not in ("multi_camera", "tracks")}
    if scores.multi_camera is not None:
        out["multi_camera"] = {k: getattr(scores.multi_camera, k) for k in MULTI_CAMERA_KEYS}
    return out


def _match(run: AssociationRun, cfg: MatchConfig) -> dict:
    from pipeline.outputs import write_tracklet_table, write_tracks_mot
    from reid.association.network import match_cameras
    from reid.eval.association import score_match
    from tracking.mot_metrics import MULTI_CAMERA_KEYS

    tf, btf, out_p = run.features, run.baseline, run.out
    idx = tf.index
    ids = match_cameras(tf.features, idx, cfg, tf.across, thirds=tf.thirds)
    scores = score_match(tf.store, idx, ids.labels, tf.across, run.mot_dir, run.gt_dir)
    result = {"model": tf.model + (" + camera norm" if tf.camera_norm else ""), **ids.stats, **score_fields(scores)}
    if scores.tracks is not None:
        result["tracks"] = {"multi_camera": {k: getattr(scores.tracks, k) for k in MULTI_CAMERA_KEYS}}
    if btf is not None:
        bids = match_cameras(btf.features, idx, cfg, btf.across, thirds=btf.thirds)
        bscores = score_match(tf.store, idx, bids.labels, btf.across, run.mot_dir, run.gt_dir, before=False)
        result["baseline"] = {"model": btf.model, **bids.stats, **score_fields(bscores)}
    _write_ranked(out_p / "ranked.csv", idx, ids.ranked)
    write_tracklet_table(out_p / "global_ids.csv", tf, "global_id", ids.labels + 1)
    write_tracks_mot(tf, ids.labels, run.mot_dir, out_p / "mot")
    (out_p / "match.json").write_text(json.dumps(result, indent=1, default=float))
    result["report"] = str(_page(tf, ids, result, out_p, run.blur_faces))
    if not run.quiet:
        print_match(result)
    return result


def _write_ranked(path: Path, idx, ranked) -> None:
    """Every tracklet's ranked matches in other cameras, one row per match, in tracklet then rank order."""
    import numpy as np

    from pipeline.outputs import write_csv

    index, distance = np.asarray(ranked.index), np.asarray(ranked.distance)
    g, r = np.nonzero(index >= 0)  # row-major: tracklet order, then rank
    j = index[g, r]
    names = np.array(idx.cameras, dtype=object)
    write_csv(path, ["camera", "tracklet", "rank", "match_camera", "match_tracklet", "distance"],
              [names[idx.camera_of[g]], idx.local_of[g], r + 1, names[idx.camera_of[j]], idx.local_of[j],
               np.char.mod("%.4f", distance[g, r])])


def print_match(result: dict) -> None:
    from pipeline.table import format_table

    keys = ["global_identities", "mutual_links", "links_made", "links_refused_time_overlap", "links_groups_apart",
            "rank1", "mAP", "cross_camera_precision", "cross_camera_recall"]
    rows = [[result["model"], *[result.get(k) for k in keys]]]
    if "baseline" in result:
        rows.append([result["baseline"]["model"], *[result["baseline"].get(k) for k in keys]])
    print(format_table(["features", "global ids", "mutual links", "made", "refused (time)", "refused (groups)",
                        "Rank-1", "mAP", "precision", "recall"], rows))
    print(neighbour_line(result.get("neighbours")))
    for line in view_lines(result.get("views")):
        print(line)
    print(spacetime_line(result))
    if "multi_camera" in result:
        print_multi_camera(result)


def view_lines(views: list[dict] | None) -> list[str]:
    """What `--views auto` decided for each camera pair with confident matches, one line each (the
    pairs that watch one place first; the rest summed up past a few)."""
    from reid.association.views import ViewEvidence

    if not views:
        return []
    ev = sorted((ViewEvidence(**{**v, "cameras": tuple(v["cameras"])}) for v in views), key=lambda e: not e.overlapping)
    shown = [f"views: {e.line()}" for e in ev[:6]]
    if len(ev) > 6:
        more = sum(e.overlapping for e in ev[6:])
        shown.append(f"views: {len(ev) - 6} more camera pairs, {more} of them overlapping (match.json has each)")
    return shown


def spacetime_line(result: dict) -> str:
    """How identities were decided, in one line: with the learnt camera network or by appearance alone, and why."""
    st = result.get("spacetime") or {}
    if result.get("decided_by") == "appearance x space-time":
        return (f"space-time: identities decided by appearance x the camera network learnt from the tracklets "
                f"({len(st.get('links', []))} walking links, {len(st.get('overlapping', []))} pairs watching one "
                "place, "
                f"{st.get('explained_by_time', 0):.0%} of {st.get('matches', 0)} confident matches explained by time); "
                f"`pipeline topology` draws it")
    why = st.get("why_not") or result.get("why_appearance_only") or "no space-time model"
    return f"space-time: identities decided by appearance alone ({why})"


def neighbour_line(nb: dict | None) -> str:
    """How the neighbours were found, and how well, in one line (merge and match print it)."""
    if not nb or nb.get("method") == "exact":
        return "neighbours: exact search"
    if "sample" not in nb:
        return "neighbours: approximate search (faiss IVF-PQ); recall not measured"
    parts = [f"{name} {nb[key]:.3f}" for name, key in (("other cameras", "recall1_across"),
                                                         ("own camera", "recall1_within")) if nb.get(key) is not None]
    return (f"neighbours: approximate search (faiss IVF-PQ); recall@1 against exact on {nb.get('sample')} tracklets: "
            + ", ".join(parts))


def multi_camera_rows(result: dict) -> list[list]:
    """Rows of the multi-camera tracking table: the tracks as extracted, then each model's match."""
    from tracking.mot_metrics import MULTI_CAMERA_KEYS

    rows = [["tracks (no match)", *[result["tracks"]["multi_camera"][k] for k in MULTI_CAMERA_KEYS]],
            [result["model"], *[result["multi_camera"][k] for k in MULTI_CAMERA_KEYS]]]
    if "multi_camera" in result.get("baseline", {}):
        rows.append([result["baseline"]["model"], *[result["baseline"]["multi_camera"][k] for k in MULTI_CAMERA_KEYS]])
    return rows


MULTI_CAMERA_HEADERS = ["global ids from", "MC IDF1", "IDP", "IDR", "MC HOTA", "DetA", "AssA", "MOTA", "ID switches"]


def print_multi_camera(result: dict) -> None:
    from pipeline.table import format_table

    print("multi-camera tracking (all cameras as one sequence, one identity matching over them):")
    print(format_table(MULTI_CAMERA_HEADERS, multi_camera_rows(result)))


def _page(tf, ids, result: dict, out: Path, blur: bool = False) -> Path:
    import numpy as np

    from pipeline.outputs import BORDER_LEGEND, GREEN, RED, address, captioned, framed, has_truth, thumb
    from pipeline.report import HtmlReport, img_tag

    idx, ranked, labels = tf.index, ids.ranked, ids.labels
    rep = HtmlReport("pipeline match")
    rows = [[result["model"], result.get("global_identities"), result.get("rank1"), result.get("mAP"),
             result.get("cross_camera_precision"), result.get("cross_camera_recall")]]
    if "baseline" in result:
        b = result["baseline"]
        rows.append([b["model"], b.get("global_identities"), b.get("rank1"), b.get("mAP"),
                     b.get("cross_camera_precision"), b.get("cross_camera_recall")])
    rep.table(["features", "global identities", "Rank-1", "mAP", "pair precision", "pair recall"], rows)
    if "multi_camera" in result:
        rep.heading("Multi-camera tracking against the ground truth (all cameras as one sequence)")
        rep.table(MULTI_CAMERA_HEADERS, multi_camera_rows(result))
    _identity_sheet(tf, labels, rep, out, blur=blur)
    truth = has_truth(tf)
    labelled = np.flatnonzero(idx.gt >= 0)
    pool = labelled if len(labelled) else np.arange(idx.num_tracklets)
    shown = min(12, len(pool))
    rep.heading("Queries and their nearest tracklets in other cameras")
    rep.text(f"{shown} query tracklets drawn at random (seed 0) from the {len(pool)} "
             + ("with ground truth" if len(labelled) else "of the store")
             + "; each row: the query (blue border), then its 6 nearest in other cameras with their distance "
             "(smaller is more alike) and the global id match gave them. "
             + (BORDER_LEGEND.format(what="the query") if truth else "No ground truth: judge by eye."))
    rng = np.random.default_rng(0)
    for g in np.sort(rng.choice(pool, shown, replace=False)):
        tags = [img_tag(captioned(framed(thumb(tf, int(g), blur=blur), (40, 40, 200)),
                                  address(tf, int(g)), f"id {labels[g] + 1}"),
                        title="query")]
        for j, d in zip(ranked.index[g][:6], ranked.distance[g][:6]):
            if j < 0:
                continue
            col = None if idx.gt[g] < 0 or idx.gt[j] < 0 else (GREEN if idx.gt[g] == idx.gt[j] else RED)
            tags.append(img_tag(captioned(framed(thumb(tf, int(j), blur=blur), col),
                                          address(tf, int(j)),
                                          f"d {d:.2f} id {labels[j] + 1}"),
                                title=f"{idx.cameras[idx.camera_of[j]]} tracklet {idx.local_of[j]} d={d:.3f}"))
        rep.images(tags, f"query {idx.cameras[idx.camera_of[g]]} tracklet {idx.local_of[g]} (global id "
                   f"{labels[g] + 1}), frames {idx.first_frame[g]}-{idx.last_frame[g]}")
    return rep.write(out / "report.html")


def _identity_sheet(tf, labels, rep, out: Path, most: int = 40, blur: bool = False) -> None:
    """One picture per global identity seen by two or more cameras: its tracklets in time order,
    each captioned with its camera (border: green = same person as the identity's majority, red =
    not, grey = unknown), in identities/<id>.png (up to 60 appearances); the first ``most`` also
    on the page and in identities.png (up to 12 each)."""
    import cv2
    import numpy as np

    from pipeline.outputs import group_thumbs, stack_rows
    from pipeline.report import img_tag

    idx = tf.index
    # identities' members by one sort (not a mask over every tracklet per identity)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = dict(zip(labels[order][np.r_[0, bounds]].tolist(), np.split(order, bounds))) if len(labels) else {}
    multi = [g for g, m in groups.items() if len(np.unique(idx.camera_of[m])) >= 2]
    rep.heading(f"Global identities seen by two or more cameras: {len(multi)}"
                + (f" (the first {most}; every one in identities/)" if len(multi) > most else ""))
    from pipeline.outputs import BORDER_LEGEND, has_truth

    rep.text("Each row: one global id's tracklets in time order (up to 12 here, 60 in identities/<id>.png), each "
             "captioned camera:tracklet. " + (BORDER_LEGEND.format(what="the identity's majority") if has_truth(tf)
                                              else "No ground truth: judge by eye."))
    rows = []
    (out / "identities").mkdir(exist_ok=True)
    for n, g in enumerate(multi):
        members = groups[g]
        members = members[np.lexsort((idx.camera_of[members], idx.first_frame[members]))][:60]
        imgs = group_thumbs(tf, members, blur, captions=True)
        lines = [np.hstack(imgs[i:i + 12]) for i in range(0, len(imgs), 12)]
        cv2.imwrite(str(out / "identities" / f"{g + 1}.png"), stack_rows(lines, pad=0)[:, :, ::-1])
        if n < most:
            rep.images([img_tag(i) for i in imgs[:12]], f"global id {g + 1}: " + ", ".join(
                f"{idx.cameras[idx.camera_of[m]]} frames {idx.first_frame[m]}-{idx.last_frame[m]}"
                for m in members[:12]))
            rows.append(lines[0])
    if rows:
        cv2.imwrite(str(out / "identities.png"), stack_rows(rows)[:, :, ::-1])
