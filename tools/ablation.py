"""UTAL ablations on one store, in one run, each from the same start and seed, scored on held-out
identities: STC / hard labels / soft labels / soft + CCTA, the CCTA distance (L2-normalised or
raw, squared or the plain norm of Eq. 10 as printed), and the pair choice (1-way 1-NN, 2-way 5-NN).

    python tools/ablation.py STORE.h5 --heldout OTHER.h5 [--epochs 12] [--out DIR] [--k 4]
                             [--backbone mobilenet_v2] [--pretrained PATH|imagenet|none]
                             [--input-size 128x64] [--only SUBSTRING ...] [--seeds 0,1,2]
                             [--every-epoch]

Learning reads no identity. Each variant prints cross-camera Rank-1 / mAP on the tracklets it
learned from (what the trainer's own evaluation reports; the ground truth of the training store is
read only to score) and on ``--heldout``, a store of other people (for the synthetic world, the demo
world with another seed), which is the number to compare variants by; held-out scores are printed
raw and with per-camera standardisation (camera norm) for every row, the start included, so that a
row is only ever compared with a row scored the same way (an earlier version compared the start
with camera norm against the learned models without it: docs/utal.md).
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

import torch  # noqa: E402

from pipeline.table import format_table, mean_sd  # noqa: E402
from reid.engine.hooks import Hook, default_hooks  # noqa: E402
from reid.engine.trainer import Trainer  # noqa: E402
from reid.eval.cross_camera import cross_camera_retrieval  # noqa: E402
from reid.models.embedding import embed_store  # noqa: E402
from reid.utal.config import LearnConfig  # noqa: E402

VARIANTS: dict[str, dict] = {
    "STC (single classifier, soft, no CCTA)": dict(single_task=True, ccta=False),
    "hard labels (K=0), no CCTA": dict(k=0, ccta=False),
    "soft labels, no CCTA": dict(ccta=False),
    "soft + CCTA (normalised, squared: the paper as written)": dict(),
    "soft + CCTA (normalised, plain L2 norm)": dict(ccta_distance="l2"),
    "soft + CCTA (raw, squared)": dict(ccta_normalize=False),
    "soft + CCTA (raw, plain L2 norm)": dict(ccta_normalize=False, ccta_distance="l2"),
    "soft + CCTA, 1-way 1-NN pairs": dict(ccta_mode="one_way"),
    "soft + CCTA, 2-way 5-NN pairs": dict(ccta_mode="two_way_knn", ccta_k=5),
    "soft + CCTA, lr 3.5e-5": dict(lr=3.5e-5),
    "soft + CCTA, classifiers imprinted from the memory": dict(head_init="memory"),
    "soft + CCTA, imprinted, lr 3.5e-5": dict(head_init="memory", lr=3.5e-5),
    "(not UTAL) the contrast learner": dict(learner="contrast"),
}


def both_ways(features: torch.Tensor, index, where: Path) -> list[float]:
    """Cross-camera (R1, mAP) raw, then (R1, mAP) with camera norm, whatever a model's own default:
    the start and the learned models must be compared under one setting."""
    from reid.models.camera_norm import standardize_per_camera

    out: list[float] = []
    for feats in (features, standardize_per_camera(features, index.camera_of)):
        r = cross_camera_retrieval(feats, index)
        if r is None:
            raise SystemExit(f"{where}: no ground truth across two cameras to score on")
        out += [r.rank(1), r.mAP]
    return out


def heldout_scores(model_dir: Path | str, heldout: Path, input_hw: tuple[int, int]) -> tuple[float, ...]:
    """`both_ways` on the held-out store, embedded by ``model_dir``."""
    tf = embed_store(heldout, model_dir, input_hw=input_hw)
    return tuple(both_ways(tf.features, tf.index, heldout))


class HeldOutProbe(Hook):
    """After every epoch: held-out (R1, mAP) of the embedding raw and camera-normalised, and of the
    trunk's pooled features camera-normalised (where a change does its damage: the new layers or
    the trunk). Slower; for `--every-epoch`."""

    def __init__(self, heldout: Path):
        from reid.eval.protocol import training_index
        from tracking.store import TrackletStore

        self.path = heldout
        self.store = TrackletStore(heldout)
        self.index = training_index(self.store, None)

    def _scores(self, module: torch.nn.Module, trainer: Trainer) -> list[float]:
        from reid.models.embedding import embed_tracklets

        # embed_tracklets embeds in eval mode and gives the module back in the mode it had
        f = embed_tracklets(module, self.store, self.index, trainer.cfg.input_hw, trainer.device, max_frames=16)
        return both_ways(f, self.index, self.path)

    def after_epoch(self, trainer: Trainer, epoch: int, record: dict) -> None:
        emb = trainer.net.embedder
        e = self._scores(emb, trainer)
        pooled = self._scores(_Pooled(emb), trainer) if hasattr(emb, "trunk") else [float("nan")] * 4
        print(f"  epoch {epoch + 1}: held-out embedding R1 / mAP raw {e[0]:.3f} / {e[1]:.3f}, camera norm "
              f"{e[2]:.3f} / {e[3]:.3f}; trunk pooled, camera norm {pooled[2]:.3f} / {pooled[3]:.3f}", flush=True)


class _Pooled(torch.nn.Module):
    """The trunk's pooled features of an embedder (before its FC layer)."""

    def __init__(self, embedder: torch.nn.Module):
        super().__init__()
        self.e = embedder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.e.pool(self.e.trunk(x)).flatten(1)  # type: ignore[operator]


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
    ap.add_argument("--seeds", default="0", help="training seeds, each variant trained once per seed (mean ± sd)")
    ap.add_argument("--every-epoch", action="store_true", help="print held-out scores after every epoch")
    args = ap.parse_args()
    h, w = (int(v) for v in args.input_size.split("x"))
    seeds = [int(x) for x in args.seeds.split(",")]
    # every row from the paper as written (classifiers start at random, its lr); a row changes only
    # what its name says
    base = LearnConfig(backbone=args.backbone, pretrained=args.pretrained, embed_dim=512, input_height=h,
                       input_width=w, epochs=args.epochs, batch_size=64, k=args.k, head_init="random", lr=3.5e-4)
    out = args.out or Path(tempfile.mkdtemp(prefix="utal-ablation-"))
    rows: dict[str, list[list[float]]] = {}
    starts: list[list[float]] = []
    for n, (name, change) in enumerate(VARIANTS.items()):
        if args.only and not any(s in name for s in args.only):
            continue
        for seed in seeds:
            cfg = dataclasses.replace(base, seed=seed, **change)
            folder = out / (f"variant{n}" if seed == 0 else f"variant{n}-seed{seed}")
            t0 = time.perf_counter()
            if not (folder / "model.pt").exists():
                hooks = default_hooks() + ([HeldOutProbe(args.heldout)] if args.every_epoch else [])
                # a variant stopped half-way resumes where it stopped
                Trainer(args.store, folder, cfg, resume=(folder / "checkpoints" / "last.pt").exists(),
                        progress=False, log=lambda m: None, hooks=hooks).fit()
            recs = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
            if len(starts) < len(seeds):
                starts.append([recs[0]["eval_rank1"], recs[0]["eval_mAP"]])
            held = heldout_scores(folder, args.heldout, (h, w))
            rows.setdefault(name, []).append([recs[-1]["eval_rank1"], recs[-1]["eval_mAP"], *held])
            print(f"{name}, seed {seed}: trained-on R1 {recs[-1]['eval_rank1']:.3f} mAP {recs[-1]['eval_mAP']:.3f}; "
                  f"held-out R1 / mAP raw {held[0]:.3f} / {held[1]:.3f}, camera norm {held[2]:.3f} / {held[3]:.3f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\nUTAL ablation: learned on {args.store}, scored on {args.heldout} ({args.epochs} epochs, K {args.k}, "
          f"{args.backbone} {h}x{w}, seeds {args.seeds}: mean ± sd; outputs in {out})")
    if starts:
        held = heldout_scores(f"imagenet:{args.backbone}:{args.pretrained}", args.heldout, (h, w))
        # trained-on: the network before its first step (trunk + a new random FC); held out: the
        # pretrained trunk's own pooled features, the baseline a user starts from
        rows = {"start (new FC / pretrained trunk alone)": [[*st, *held] for st in starts], **rows}
    cols = ["R1 (trained on)", "mAP", "held out: R1 raw", "mAP", "R1 camera norm", "mAP"]
    print(format_table(["variant", *cols], [[name, *(mean_sd([r[i] for r in runs]) for i in range(6))]
                                            for name, runs in rows.items()]))


if __name__ == "__main__":
    main()
