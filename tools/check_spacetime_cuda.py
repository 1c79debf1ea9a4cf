"""The space-time path on a GPU: the same commands' library calls with the features on CUDA, against
the CPU on the same world, and the 1,000,000-tracklet fused match with the exact GPU neighbour pass.

    python tools/check_spacetime_cuda.py [--scale 1000000]

Prints, for the network world (tools/bench_topology.py's): topology and match (appearance and
fused) on CPU and on CUDA, with the agreement of their labels; the learners' pair gate on CUDA
memory (UTAL's label step); then, with --scale, the network world at that size on the GPU: the
neighbour pass, the topology and the fused match, each timed. Needs a CUDA device; not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.association.config import MatchConfig  # noqa: E402
from reid.association.network import match_cameras, network_neighbours  # noqa: E402
from reid.eval.topology import score_topology, tracklet_idf1  # noqa: E402
from reid.spacetime.network_model import learn_topology  # noqa: E402
from tools.bench_merge import pair_scores  # noqa: E402
from tracklet_reid.synthetic.network import NetworkConfig, generate_network  # noqa: E402


def on(device: str, world) -> dict:
    index = world.index()
    feats = torch.from_numpy(world.features).to(device)
    t0 = time.perf_counter()
    nb = network_neighbours(feats, index)
    out = {"pass_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    out["topology"] = score_topology(learn_topology(feats, index, nb), world.truth)
    out["topology_s"] = time.perf_counter() - t0
    for mode in ("off", "auto"):
        t0 = time.perf_counter()
        ids = match_cameras(feats, index, replace(MatchConfig(), spacetime=mode), neighbours=nb)
        out[mode] = {"labels": ids.labels, "s": time.perf_counter() - t0, "decided_by": ids.stats["decided_by"],
                     "idf1": tracklet_idf1(world.person, ids.labels, world.last_time - world.first_time + 0.1),
                     "pair": pair_scores(world.person, ids.labels)}
    return out


def gate_on_cuda(world) -> dict:
    from reid.utal.config import LearnConfig
    from reid.utal.label_update import LabelUpdate

    index = world.index()
    cfg = LearnConfig(ccta_start=0.0, epochs=2, k=4)
    step = LabelUpdate(cfg, index, torch.zeros(len(index.cameras), dtype=torch.long), None)
    _, matches, info = step(torch.from_numpy(world.features).cuda(), epoch=1)
    assert matches is not None
    i = torch.nonzero(matches[:, 0] >= 0).ravel()
    j = matches[i, 0]
    return {"pairs": len(i), "precision": float((world.person[i] == world.person[j]).mean()),
            "vetoed": info.get("pairs_vetoed_by_time"), "gate": info.get("spacetime")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=0)
    args = ap.parse_args()
    assert torch.cuda.is_available(), "no CUDA device"
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}", flush=True)
    world = generate_network(NetworkConfig(within_share=0.47))
    cpu, gpu = on("cpu", world), on("cuda", world)
    for name, r in (("cpu", cpu), ("cuda", gpu)):
        t = r["topology"]
        print(f"{name}: pass {r['pass_s']:.2f} s, topology {r['topology_s']:.1f} s (links P/R "
              f"{t['link_precision']:.3f}/{t['link_recall']:.3f}, offsets worst {t['offset_error_s']:.2f} s); "
              f"appearance IDF1 {r['off']['idf1']:.3f} P/R {r['off']['pair'][0]:.3f}/{r['off']['pair'][1]:.3f} "
              f"({r['off']['s']:.1f} s); "
              f"fused IDF1 {r['auto']['idf1']:.3f} P/R {r['auto']['pair'][0]:.3f}/{r['auto']['pair'][1]:.3f} "
              f"({r['auto']['s']:.1f} s, {r['auto']['decided_by']})", flush=True)
    for mode in ("off", "auto"):
        same = float((cpu[mode]["labels"] == gpu[mode]["labels"]).mean())
        print(f"{mode}: cpu and cuda give the same label to {same:.4f} of the tracklets", flush=True)
    print(f"learner gate on CUDA memory: {gate_on_cuda(generate_network(NetworkConfig(within_share=0.55)))}",
          flush=True)
    if args.scale:
        people = args.scale // 4
        big = generate_network(NetworkConfig(cameras=20, people=people, hours=max(4.0, people / 3500),
                                             within_share=0.3, seed=1))
        index = big.index()
        feats = torch.from_numpy(big.features).cuda()
        t0 = time.perf_counter()
        nb = network_neighbours(feats, index)
        torch.cuda.synchronize()
        pass_s = time.perf_counter() - t0
        print(f"scale {len(big.person)} tracklets: exact neighbour pass on the GPU {pass_s:.1f} s", flush=True)
        for mode in ("off", "auto"):
            t0 = time.perf_counter()
            ids = match_cameras(feats, index, replace(MatchConfig(), spacetime=mode), neighbours=nb)
            p, r = pair_scores(big.person, ids.labels)
            print(f"scale {mode}: pair P/R {p:.3f}/{r:.3f}, {time.perf_counter() - t0:.1f} s after the pass",
                  flush=True)
    print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB; peak host RSS "
          f"{__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss / 2**20:.1f} GB")


if __name__ == "__main__":
    main()
