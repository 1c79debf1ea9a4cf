"""Merge against its ceiling, per camera: each link rule's IDF1 beside the tracks as they are and
beside the oracle (the same constraints with the ground-truth identities), and seconds per rule.

    python tools/bench_merge_oracle.py STORE --model MODEL --mot MOT_DIR --gt GT_DIR [--k 4]

STORE from `pipeline extract ... --mot-out MOT_DIR --gt GT_DIR` (or a demo folder's
tracklets.h5, mot/ and world/gt/). The rule merge uses by default must never score below
"unmerged" on any camera; "share" is its gain over the oracle's gain (docs/association.md).
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from pipeline.table import format_table
from reid.association.config import MergeConfig
from reid.association.network import merge_cameras
from reid.eval.association import oracle_trajectories, score_merge
from reid.models.embedding import embed_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--model", required=True, help="a learned model folder, a download, or a baseline spec")
    ap.add_argument("--mot", required=True, help="the tracker output extract wrote (--mot-out)")
    ap.add_argument("--gt", required=True, help="per-camera MOT ground truth")
    ap.add_argument("--k", type=int, default=MergeConfig().affinity_k, help="the affinity rule's K")
    args = ap.parse_args()
    tf = embed_store(args.store, args.model, thirds=True)
    idx = tf.index
    labels, seconds, links = {}, {}, {}
    for rule in ("continuation", "affinity"):
        t = time.perf_counter()
        traj = merge_cameras(tf.features, idx, replace(MergeConfig(), link=rule, affinity_k=args.k), thirds=tf.thirds)
        seconds[rule] = time.perf_counter() - t
        labels[rule], links[rule] = traj.labels, [c["links"] for c in traj.cameras]
    labels["oracle"] = oracle_trajectories(idx)
    before = score_merge(tf.store, idx, np.arange(idx.num_tracklets), args.mot, args.gt)
    after = {k: score_merge(tf.store, idx, v, args.mot, args.gt, before=False) for k, v in labels.items()}
    rows, gains = [], []
    for c, cam in enumerate(idx.cameras):
        b = before.cameras[cam]["before"].idf1
        a = {k: s.cameras[cam]["after"].idf1 for k, s in after.items()}
        gains.append((a["continuation"] - b, a["oracle"] - b))
        share = (a["continuation"] - b) / (a["oracle"] - b) if a["oracle"] > b else None
        rows.append([cam, idx.camera_slices[c].stop - idx.camera_slices[c].start, b, a["continuation"],
                     links["continuation"][c], a["affinity"], links["affinity"][c], a["oracle"], share])
    g = np.asarray(gains)
    rows.append(["mean", None, None, None, None, None, None, None,
                 g[:, 0].mean() / g[:, 1].mean() if g[:, 1].mean() > 0 else None])
    print(f"merge against its oracle: {args.store}, model {tf.model} (IDF1 per camera)")
    print(format_table(["camera", "tracklets", "unmerged", "continuation", "links", f"affinity K {args.k}", "links",
                        "oracle", "share of oracle gain"], rows))
    print(f"seconds: continuation {seconds['continuation']:.2f}, affinity (the reference) {seconds['affinity']:.2f}")


if __name__ == "__main__":
    main()
