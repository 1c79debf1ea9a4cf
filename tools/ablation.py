"""UTAL ablations on one store, in one run: STC / hard labels / soft labels / soft + CCTA (and the
CCTA distance with and without L2 normalisation), each from the same start, same seed.

    python tools/ablation.py STORE.h5 [--epochs 12] [--out DIR] [--backbone mobilenet_v2]
                             [--pretrained PATH|imagenet|none] [--input-size 128x64]

Prints cross-camera Rank-1 / mAP of every variant (the store must hold ground truth).
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

from reid.utal.config import LearnConfig  # noqa: E402
from reid.utal.trainer import UTALTrainer  # noqa: E402

VARIANTS = {
    "STC (single classifier, soft, no CCTA)": dict(single_task=True, ccta=False),
    "hard labels (K=0), no CCTA": dict(k=0, ccta=False),
    "soft labels (K=4), no CCTA": dict(ccta=False),
    "soft + CCTA (L2-normalised distance)": dict(ccta_normalize=True),
    "soft + CCTA (raw distance)": dict(ccta_normalize=False),
}


def main() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "weights" / "mobilenetv2-imagenet"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--pretrained", default=str(shared) if shared.is_dir() else "imagenet")
    ap.add_argument("--input-size", default="128x64")
    ap.add_argument("--only", nargs="*", help="substrings of the variants to run")
    args = ap.parse_args()
    h, w = (int(v) for v in args.input_size.split("x"))
    base = LearnConfig(backbone=args.backbone, pretrained=args.pretrained, embed_dim=512, input_height=h,
                       input_width=w, epochs=args.epochs, batch_size=64)
    out = args.out or Path(tempfile.mkdtemp(prefix="utal-ablation-"))
    rows = []
    start = None
    for name, change in VARIANTS.items():
        if args.only and not any(s in name for s in args.only):
            continue
        cfg = dataclasses.replace(base, **change)
        folder = out / name.split(" ")[0].lower().replace("(", "") / str(len(rows))
        t0 = time.perf_counter()
        UTALTrainer(args.store, folder, cfg, progress=False, log=lambda m: None).fit()
        recs = [json.loads(l) for l in (folder / "metrics.jsonl").read_text().splitlines() if l.strip()]
        start = start or recs[0]
        rows.append((name, recs[-1]["eval_rank1"], recs[-1]["eval_mAP"], time.perf_counter() - t0))
        print(f"{name}: R1 {rows[-1][1]:.3f} mAP {rows[-1][2]:.3f} ({rows[-1][3]:.0f} s)", flush=True)
    print(f"\nUTAL ablation on {args.store} ({args.epochs} epochs, {args.backbone} {h}x{w}; outputs in {out})")
    print(f"{'variant':<42}{'Rank-1':>8}{'mAP':>8}")
    if start:
        print(f"{'starting point (ImageNet trunk + FC)':<42}{start['eval_rank1']:>8.3f}{start['eval_mAP']:>8.3f}")
    for name, r1, m, _ in rows:
        print(f"{name:<42}{r1:>8.3f}{m:>8.3f}")


if __name__ == "__main__":
    main()
