"""UTAL ablations on one store, in one run, each from the same start and seed, scored on held-out
identities: STC / hard labels / soft labels / soft + CCTA, the CCTA distance (L2-normalised or
raw, squared or the plain norm of Eq. 10 as printed), and the pair choice (1-way 1-NN, 2-way 5-NN).

    python tools/ablation.py STORE.h5 --heldout OTHER.h5 [--epochs 12] [--out DIR] [--k 4]
                             [--backbone mobilenet_v2] [--pretrained PATH|imagenet|none]
                             [--input-size 128x64] [--only SUBSTRING ...] [--seed 0]

Learning reads no identity. Each variant prints cross-camera Rank-1 / mAP twice: on the tracklets
it learned from (what the trainer's own evaluation reports; the ground truth of the training store
is read only to score) and on ``--heldout``, a store of other people (for the synthetic world, the
demo world with another seed), which is the number to compare variants by.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.engine.trainer import Trainer  # noqa: E402
from reid.eval.cross_camera import cross_camera_retrieval  # noqa: E402
from reid.models.embedding import embed_store  # noqa: E402
from reid.utal.config import LearnConfig  # noqa: E402

VARIANTS = {
    "STC (single classifier, soft, no CCTA)": dict(single_task=True, ccta=False),
    "hard labels (K=0), no CCTA": dict(k=0, ccta=False),
    "soft labels, no CCTA": dict(ccta=False),
    "soft + CCTA (normalised, squared: default)": dict(),
    "soft + CCTA (normalised, plain L2 norm)": dict(ccta_distance="l2"),
    "soft + CCTA (raw, squared)": dict(ccta_normalize=False),
    "soft + CCTA (raw, plain L2 norm)": dict(ccta_normalize=False, ccta_distance="l2"),
    "soft + CCTA, 1-way 1-NN pairs": dict(ccta_mode="one_way"),
    "soft + CCTA, 2-way 5-NN pairs": dict(ccta_mode="two_way_knn", ccta_k=5),
    "(not UTAL) the contrast learner": dict(learner="contrast"),
}


def heldout_scores(model_dir: Path | str, heldout: Path, input_hw: tuple[int, int]) -> tuple[float, float]:
    tf = embed_store(heldout, model_dir, input_hw=input_hw)
    r = cross_camera_retrieval(tf.across, tf.index)
    if r is None:
        raise SystemExit(f"{heldout}: no ground truth across two cameras to score on")
    return r.rank(1), r.mAP


def main() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "weights" / "mobilenetv2-imagenet"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--heldout", type=Path, required=True, help="a store of other people, with ground truth")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--k", type=int, default=4, help="soft-label K of the soft variants (the paper's 4)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--pretrained", default=str(shared) if shared.is_dir() else "imagenet")
    ap.add_argument("--input-size", default="128x64")
    ap.add_argument("--only", nargs="*", help="substrings of the variants to run")
    ap.add_argument("--seed", type=int, default=0, help="training seed (the same for every variant)")
    args = ap.parse_args()
    h, w = (int(v) for v in args.input_size.split("x"))
    base = LearnConfig(backbone=args.backbone, pretrained=args.pretrained, embed_dim=512, input_height=h,
                       input_width=w, epochs=args.epochs, batch_size=64, k=args.k,
                       seed=args.seed)
    out = args.out or Path(tempfile.mkdtemp(prefix="utal-ablation-"))
    rows = []
    start = None
    for n, (name, change) in enumerate(VARIANTS.items()):
        if args.only and not any(s in name for s in args.only):
            continue
        cfg = dataclasses.replace(base, **change)
        folder = out / f"variant{n}"
        t0 = time.perf_counter()
        if not (folder / "model.pt").exists():
            # a variant stopped half-way resumes where it stopped
            Trainer(args.store, folder, cfg, resume=(folder / "checkpoints" / "last.pt").exists(),
                        progress=False, log=lambda m: None).fit()
        recs = [json.loads(l) for l in (folder / "metrics.jsonl").read_text().splitlines() if l.strip()]
        start = start or recs[0]
        r1, m = heldout_scores(folder, args.heldout, (h, w))
        rows.append((name, recs[-1]["eval_rank1"], recs[-1]["eval_mAP"], r1, m, time.perf_counter() - t0))
        print(f"{name}: trained-on R1 {rows[-1][1]:.3f} mAP {rows[-1][2]:.3f}; held-out R1 {r1:.3f} mAP {m:.3f} "
              f"({rows[-1][5]:.0f} s)", flush=True)
    print(f"\nUTAL ablation: learned on {args.store}, scored on {args.heldout} ({args.epochs} epochs, K {args.k}, "
          f"{args.backbone} {h}x{w}; outputs in {out})")
    print(f"{'variant':<46}{'R1 (trained on)':>16}{'mAP':>8}{'R1 (held out)':>15}{'mAP':>8}")
    if start:
        hr1, hm = heldout_scores(f"imagenet:{args.backbone}:{args.pretrained}", args.heldout, (h, w))
        # trained-on: the network before its first step (trunk + a new random FC); held out: the
        # pretrained trunk's own pooled features, the baseline a user starts from
        print(f"{'start (new FC / pretrained trunk alone)':<46}{start['eval_rank1']:>16.3f}{start['eval_mAP']:>8.3f}"
              f"{hr1:>15.3f}{hm:>8.3f}")
    for name, r1, m, hr1, hm, _ in rows:
        print(f"{name:<46}{r1:>16.3f}{m:>8.3f}{hr1:>15.3f}{hm:>8.3f}")


if __name__ == "__main__":
    main()
