"""`pipeline merge`: join fragmented tracklets into trajectories within each camera; files and
reports around `reid.association.merge_cameras`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.association_args import add_common
from pipeline.flags import add_config_flags, overrides
from reid.association.config import MergeConfig
from reid.models.embedding_config import EmbedConfig

if TYPE_CHECKING:
    from reid.models.embedding import TrackletFeatures

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
    from pipeline.association_args import baseline_spec
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
    from pipeline.association_args import check_mot_flags, embed_for_association
    from tracklet_reid.output_paths import output_folder

    cfg.validate()
    check_mot_flags(mot_dir, gt_dir)
    with output_folder(out, {"store": store, "--mot": mot_dir, "--gt": gt_dir}, WRITES) as out_p:
        tf = embed_for_association(store, model, emb, mot_dir, quiet)
        return _merge(tf, out_p, cfg, emb, mot_dir, gt_dir, baseline, quiet, blur_faces)


# noqa reason: run_merge's inputs, after the output folder and the features are ready
def _merge(tf: TrackletFeatures, out_p: Path, cfg: MergeConfig, emb: EmbedConfig,  # noqa: PLR0913
           mot_dir: str | None, gt_dir: str | None, baseline: str | None, quiet: bool,
           blur_faces: bool = False) -> dict:
    import numpy as np

    from pipeline.association_args import embed_baseline
    from pipeline.outputs import labelled_tracks, mot_scores, read_gt, write_tracklet_table, write_tracks_mot
    from reid.association.network import merge_cameras
    from reid.eval.association import labelled_nmi, merge_nmi

    btf = embed_baseline(tf, baseline, emb, "merge", quiet)
    idx = tf.index
    traj = merge_cameras(tf.features, idx, cfg)
    labels, per_cam = traj.labels, traj.cameras
    result = {"model": tf.model, "k": cfg.affinity_k, "threshold": cfg.threshold, "cameras": per_cam,
              "neighbours": traj.neighbours}
    if (idx.gt >= 0).any():
        for c, sl in enumerate(idx.camera_slices):
            per_cam[c]["nmi"] = labelled_nmi(idx, labels, sl)
            per_cam[c]["nmi_before"] = labelled_nmi(idx, np.arange(idx.num_tracklets), sl)
        result.update(merge_nmi(idx, labels))
    write_tracks_mot(tf, labels, mot_dir, out_p / "mot")
    gts = {cam: read_gt(gt_dir, cam) for cam in idx.cameras} if mot_dir and gt_dir else {}
    if gts:
        from detection.mot_text import read_mot

        for c, cam in enumerate(idx.cameras):
            per_cam[c]["before"] = mot_scores(gts[cam], read_mot(Path(str(mot_dir)) / f"{cam}.txt"))
            per_cam[c]["after"] = mot_scores(gts[cam], read_mot(out_p / "mot" / f"{cam}.txt"))
    if btf is not None:
        btraj = merge_cameras(btf.features, idx, cfg)
        blabels, bper = btraj.labels, btraj.cameras
        result["baseline"] = {"model": btf.model, "cameras": bper, **merge_nmi(idx, blabels)}
        if gts:
            btracks = labelled_tracks(tf, blabels, mot_dir)
            for c, cam in enumerate(idx.cameras):
                bper[c]["after"] = mot_scores(gts[cam], btracks[cam])
    write_tracklet_table(out_p / "trajectories.csv", tf, "trajectory", labels)
    (out_p / "merge.json").write_text(json.dumps(result, indent=1, default=float))
    result["report"] = str(_page(tf, labels, result, out_p, blur_faces))
    if not quiet:
        print_merge(result)
    return result


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
    print(f"merge with {result['model']} (K {result['k']}, affinity > {result['threshold']})")
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
        print(f"baseline: {bl['model']}; overall NMI {bl.get('nmi')}")
        print(format_table(headers, brows))


def _page(tf, labels, result: dict, out: Path, blur: bool = False) -> Path:
    import cv2
    import numpy as np

    from pipeline.outputs import group_thumbs, stack_rows
    from pipeline.report import HtmlReport, img_tag

    idx = tf.index
    rep = HtmlReport("pipeline merge")
    rep.text(f"model: {result['model']}; K {result['k']}, affinity > {result['threshold']}; NMI pooled over "
             f"cameras (truth: identity within its camera, as the paper's Table 6) {result.get('nmi')}; truth "
             f"identity alone {result.get('nmi_identity')}")
    rep.table(["camera", "tracklets", "mergeable", "long trajectories", "NMI", "baseline NMI"],
              [[c["camera"], c["tracklets"], c["mergeable"], c["long_trajectories"], c.get("nmi"),
                None] for c in result["cameras"]])
    rep.heading("Merged trajectories (border: green = same identity as the trajectory's majority, red = not, "
                "grey = unknown)")
    sheet_rows = []
    sizes = np.bincount(labels)
    for lab in np.flatnonzero(sizes >= 2)[:40]:
        members = np.flatnonzero(labels == lab)
        members = members[np.argsort(idx.first_frame[members])]
        imgs = group_thumbs(tf, members, blur, most=16)
        cam = idx.cameras[idx.camera_of[members[0]]]
        rep.images([img_tag(i) for i in imgs], f"{cam} trajectory {lab}: {len(members)} tracklets")
        sheet_rows.append(np.hstack(imgs))
    if sheet_rows:
        cv2.imwrite(str(out / "contact_sheet.png"), stack_rows(sheet_rows)[:, :, ::-1])
    return rep.write(out / "report.html")
