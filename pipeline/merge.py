"""`pipeline merge`: join fragmented tracklets into trajectories within each camera; files and
reports around `reid.association.merge_cameras`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.association_run import add_common
from pipeline.flags import add_config_flags, overrides
from reid.association.config import MergeConfig
from reid.models.embedding_config import EmbedConfig

if TYPE_CHECKING:
    from pipeline.association_run import AssociationRun
    from reid.eval.association import MergeScores

# what merge writes into its folder: an input found at one of these is refused, never replaced
WRITES = ("trajectories.csv", "merge.json", "mot", "report.html", "contact_sheet.png")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="join fragmented tracklets into trajectories within each camera",
                       description="Affinity graph (Eq. 4 of UTAL) over learned features, connected components, "
                       "never joining tracklets that overlap in time.")
    add_common(p)
    add_config_flags(p.add_argument_group("merge"), MergeConfig)
    p.add_argument("--gt", help="folder of per-camera MOT ground truth: MOTA/IDF1 before and after")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.association_run import baseline_spec
    from tracklet_reid.config_io import load_config

    cfg = load_config(MergeConfig, None, overrides(args, MergeConfig))
    emb = load_config(EmbedConfig, None, overrides(args, EmbedConfig))
    run_merge(args.store, args.model, args.out, cfg, emb, args.mot, args.gt, baseline_spec(args), args.quiet,
              args.blur_faces)
    return 0


# noqa reason: the command's inputs are the store, model, output folder, two configs and the files
# to score against; they stay named rather than bundled into a one-use object
def run_merge(store: str,  # noqa: PLR0913
              model: str, out: str, cfg: MergeConfig = MergeConfig(), emb: EmbedConfig = EmbedConfig(),
              mot_dir: str | None = None, gt_dir: str | None = None, baseline: str | None = None,
              quiet: bool = False, blur_faces: bool = False) -> dict:
    """Merge, score against ground truth where the store has it, write trajectories.csv,
    merge.json, mot/ and report.html into ``out``; returns the report's dict."""
    from pipeline.association_run import run_association

    cfg.validate()
    return run_association("merge", WRITES, lambda run: _merge(run, cfg), store, model, out, emb, mot_dir, gt_dir,
                           baseline, quiet, blur_faces)


def _merge(run: AssociationRun, cfg: MergeConfig) -> dict:
    from pipeline.outputs import write_tracklet_table, write_tracks_mot
    from reid.association.network import merge_cameras
    from reid.eval.association import score_merge

    tf, btf, out_p = run.features, run.baseline, run.out
    idx = tf.index
    traj = merge_cameras(tf.features, idx, cfg, thirds=tf.thirds)
    scores = score_merge(tf.store, idx, traj.labels, run.mot_dir, run.gt_dir)
    result = {"model": tf.model, "k": cfg.affinity_k, "threshold": cfg.threshold,
              "cameras": _with_scores(traj.cameras, scores), "neighbours": traj.neighbours}
    if scores.nmi_identity is not None:
        result.update(nmi=scores.nmi, nmi_identity=scores.nmi_identity, nmi_mean_per_camera=scores.nmi_mean_per_camera)
    write_tracks_mot(tf, traj.labels, run.mot_dir, out_p / "mot")
    if btf is not None:
        btraj = merge_cameras(btf.features, idx, cfg, thirds=btf.thirds)
        bscores = score_merge(tf.store, idx, btraj.labels, run.mot_dir, run.gt_dir, before=False)
        result["baseline"] = {"model": btf.model, "cameras": btraj.cameras, "nmi": bscores.nmi,
                              "nmi_identity": bscores.nmi_identity,
                              "nmi_mean_per_camera": bscores.nmi_mean_per_camera}
        for c, cam in enumerate(idx.cameras):
            if "after" in bscores.cameras[cam]:
                btraj.cameras[c]["after"] = _mot_fields(bscores.cameras[cam]["after"])
    # the numbers mot/ and the report use (labels + 1: MOT ids start at 1)
    write_tracklet_table(out_p / "trajectories.csv", tf, "trajectory", traj.labels + 1)
    (out_p / "merge.json").write_text(json.dumps(result, indent=1, default=float))
    result["report"] = str(_page(tf, traj.labels, result, out_p, run.blur_faces))
    if not run.quiet:
        print_merge(result)
    return result


def _rule_line(result: dict) -> str:
    """How the tracklets were joined, as merge prints it."""
    rules = {c.get("rule") for c in result["cameras"]}
    if rules == {"continuation"}:
        return ("a later tracklet continues an earlier one where appearance and place make one person more "
                "likely than two (densities read from each camera's own tracklets)")
    return f"affinity graph, K {result['k']}, affinity > {result['threshold']}"


def _mot_fields(s) -> dict:
    """The per-camera MOT scores merge reports (of MotScores' fields)."""
    return {"mota": s.mota, "idf1": s.idf1, "id_switches": s.id_switches}


def _with_scores(cameras: list[dict], scores: MergeScores) -> list[dict]:
    """Merge's per-camera counts with the camera's ground-truth scores beside them."""
    out = []
    for c in cameras:
        extra = scores.cameras.get(c["camera"], {})
        row = {**c, **{k: extra[k] for k in ("nmi", "nmi_before") if k in extra}}
        row.update({k: _mot_fields(extra[k]) for k in ("before", "after") if k in extra})
        out.append(row)
    return out


def print_merge(result: dict) -> None:
    from pipeline.match import neighbour_line
    from pipeline.table import format_table

    headers = ["camera", "tracklets", "mergeable", "long traj.", "NMI", "MOTA before", "MOTA after",
               "IDF1 before", "IDF1 after", "IDsw before", "IDsw after"]
    rows = []
    for c in result["cameras"]:
        b, a = c.get("before", {}), c.get("after", {})
        rows.append([c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], c.get("nmi"),
                     b.get("mota"), a.get("mota"), b.get("idf1"), a.get("idf1"), b.get("id_switches"),
                     a.get("id_switches")])
    tot = {k: sum(c[k] for c in result["cameras"]) for k in ("tracklets", "mergeable", "long_trajectories")}
    rows.append(["all (Table 6)", tot["tracklets"], tot["mergeable"], tot["long_trajectories"], result.get("nmi"),
                 *[None] * 6])
    print(f"merge with {result['model']}: {_rule_line(result)}")
    print(format_table(headers, rows))
    print(neighbour_line(result.get("neighbours")))
    if result.get("nmi") is not None:
        print(f"NMI pooled over cameras, truth = identity within its camera (compares with the paper's Table 6): "
              f"{result['nmi']:.3f}; truth = identity alone: {result['nmi_identity']:.3f}; mean of the cameras: "
              f"{result['nmi_mean_per_camera']:.3f}")
    if "baseline" in result:
        bl = result["baseline"]
        brows = [[c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], None, None,
                  c.get("after", {}).get("mota"), None, c.get("after", {}).get("idf1"), None,
                  c.get("after", {}).get("id_switches")] for c in bl["cameras"]]
        print(f"baseline: {bl['model']}" + (f"; overall NMI {bl['nmi']:.3f}" if bl.get("nmi") is not None else ""))
        print(format_table(headers, brows))


def _page(tf, labels, result: dict, out: Path, blur: bool = False) -> Path:
    import cv2
    import numpy as np

    from pipeline.outputs import group_thumbs, stack_rows
    from pipeline.report import HtmlReport, img_tag

    idx = tf.index
    rep = HtmlReport("pipeline merge")
    from pipeline.outputs import BORDER_LEGEND, captioned, has_truth

    truth = result.get("nmi") is not None
    rep.text(f"model: {result['model']}; {_rule_line(result)}"
             + (f"; NMI pooled over cameras (truth: identity within its camera, as the paper's Table 6) "
                f"{result['nmi']:.3f}; truth identity alone {result['nmi_identity']:.3f}" if truth else
                "; no ground truth in the store, so no NMI"))
    base = {c["camera"]: c for c in result.get("baseline", {}).get("cameras", [])}
    headers = ["camera", "tracklets", "mergeable", "long trajectories"] + (["NMI"] if truth else [])
    if base:
        headers.append(f"long trajectories ({result['baseline']['model']})")
    rep.table(headers, [[c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"]]
                        + ([c.get("nmi", "-")] if truth else [])
                        + ([base.get(c["camera"], {}).get("long_trajectories", "-")] if base else [])
                        for c in result["cameras"]])
    sizes = np.bincount(labels)
    joined = np.flatnonzero(sizes >= 2)
    rep.heading(f"Merged trajectories: {len(joined)} of two or more tracklets"
                + (" (the first 40 by number; trajectories.csv has all)" if len(joined) > 40 else ""))
    rep.text("Each row: one trajectory's tracklets in time order (up to 16), captioned camera:tracklet; the same rows, "
             "labelled, are in contact_sheet.png. " + (BORDER_LEGEND.format(what="the trajectory's majority")
                                                        if has_truth(tf) else "No ground truth: judge by eye."))
    sheet_rows = []
    for lab in joined[:40]:
        members = np.flatnonzero(labels == lab)
        members = members[np.argsort(idx.first_frame[members])]
        imgs = group_thumbs(tf, members, blur, captions=True, most=16)
        cam = idx.cameras[idx.camera_of[members[0]]]
        title = f"{cam} trajectory {lab + 1}: {len(members)} tracklets"
        rep.images([img_tag(i) for i in imgs], title)
        row = np.hstack([np.pad(i, ((0, max(m.shape[0] for m in imgs) - i.shape[0]), (0, 0), (0, 0)),
                                constant_values=255) for i in imgs])
        sheet_rows.append(captioned(row, title))
    if sheet_rows:
        cv2.imwrite(str(out / "contact_sheet.png"), stack_rows(sheet_rows)[:, :, ::-1])
    return rep.write(out / "report.html")
