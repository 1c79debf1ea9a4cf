"""Benchmark UTAL training: the whole step against the bare model, and the per-epoch refresh.

    python tools/bench_train.py [--store S.h5] [--backbone mobilenet_v2] [--input-size 128x64]
                                [--batch-size 64] [--steps 20] [--device cpu|cuda]

1. images/s of the bare model's forward + backward + Adam step on a tensor already in memory
   (the reference), and of the whole training step as `pipeline learn` runs it (DataLoader workers
   reading JPEG crops from the store, augmentation, model, PCTD + CCTA losses, memory update), in
   one run, with their ratio (acceptance: >= 0.90).
2. seconds of the per-epoch refresh (soft labels + reciprocal cross-camera pairs) for each of
   --refresh tracklet counts x 2048-D over 10 cameras (acceptance: < 10 s on CPU at 20,000), with
   the neighbour search `learn` would use at that size (exact, or approximate past 50,000 on CPU).
Without --store, a store of random-pattern crops is generated in a temporary folder (--cameras x
--store-tracklets tracklets of 16 crops).

The GPU facts (issue 16), the paper's settings on a GPU:

    python tools/bench_train.py --paper --device cuda --refresh 20000,200000 --store-tracklets 400
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reid.engine.trainer import Trainer  # noqa: E402
from reid.models.embedding import pick_device  # noqa: E402
from reid.utal.config import LearnConfig  # noqa: E402
from reid.utal.cross_camera import cross_camera_matches  # noqa: E402
from reid.utal.soft_labels import compute_soft_labels  # noqa: E402
from tracking.store import StoreWriter  # noqa: E402


def make_store(path: Path, cameras: int = 4, tracklets: int = 60, crops: int = 16) -> Path:
    """Random-pattern crops: ``cameras`` x ``tracklets`` tracklets of ``crops`` 256 x 128 crops."""
    rng = np.random.default_rng(0)
    with StoreWriter(path) as w:
        for c in range(cameras):
            cam = w.camera(f"cam{c}")
            for t in range(tracklets):
                base = rng.integers(0, 255, (1, 256, 128, 3))
                imgs = np.clip(base + rng.normal(0, 20, (crops, 256, 128, 3)), 0, 255).astype(np.uint8)
                cam.add_tracklet(imgs, np.arange(crops), np.zeros((crops, 4)), np.ones(crops), t)
            cam.finish()
    return path


def bench_steps(trainer: Trainer, steps: int, device: torch.device) -> tuple[float, float]:
    cfg = trainer.cfg
    net, opt = trainer.net, trainer.opt
    # bare model: same batch shape, tensor already on the device, one head, no data loading
    x = torch.randn(cfg.batch_size, 3, *cfg.input_hw, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, trainer.classes[0], (cfg.batch_size,), device=device)
    use_amp = cfg.amp and device.type == "cuda"

    def bare_step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            emb = net(x)
        loss = torch.nn.functional.cross_entropy(net.heads[0](emb.float()), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        bare_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        bare_step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    bare = steps * cfg.batch_size / (time.perf_counter() - t0)
    # whole step: the trainer's own epoch loop (loader, losses, memory update), CCTA on
    trainer.sampler.num_batches = steps + 2
    trainer.refresh(cfg.epochs)  # labels and pairs of an epoch in the CCTA half
    stats = trainer.train_epoch(0)
    return bare, stats["images_per_s"]


def bench_refresh(n: int, dim: int, cameras: int, device: torch.device) -> tuple[float, float]:
    g = torch.Generator().manual_seed(0)
    mem = torch.randn(n, dim, generator=g).to(device)
    cam = torch.arange(n) % cameras
    order = torch.argsort(cam, stable=True)
    mem, cam = mem[order], cam[order]
    per = n // cameras
    slices = [slice(c * per, (c + 1) * per) for c in range(cameras)]
    t0 = time.perf_counter()
    compute_soft_labels(mem, slices, K=4)
    t1 = time.perf_counter()
    cross_camera_matches(mem, cam, "reciprocal")
    if device.type == "cuda":
        torch.cuda.synchronize()
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path)
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--input-size", default="128x64")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--workers", type=int, default=-1, help="-1: the trainer's automatic choice")
    ap.add_argument("--device", default=None)
    ap.add_argument("--refresh", default="20000", help="tracklet counts of the refresh timing, comma-separated")
    ap.add_argument("--paper", action="store_true", help="the paper's settings: resnet50, 256x128, batch 384 (AMP on "
                    "CUDA)")
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--store-tracklets", type=int, default=60, help="tracklets per camera of the generated store")
    args = ap.parse_args()
    if args.paper:
        args.backbone, args.input_size, args.batch_size = "resnet50", "256x128", 384
    if args.device and args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA GPU on this machine: the GPU facts need one (run this again where there is)")
    device = pick_device(args.device)
    h, w = (int(v) for v in args.input_size.split("x"))
    with tempfile.TemporaryDirectory() as d:
        store = args.store or make_store(Path(d) / "bench.h5", args.cameras, args.store_tracklets)
        cfg = LearnConfig(backbone=args.backbone, pretrained="none", input_height=h, input_width=w,
                          batch_size=args.batch_size, workers=args.workers, epochs=2, device=str(device))
        trainer = Trainer(store, Path(d) / "out", cfg, progress=False, log=lambda m: None)
        trainer._setup()
        from reid.utal.memory import TrackletMemory

        trainer.memory = TrackletMemory(torch.randn(trainer.index.num_tracklets, cfg.embed_dim, device=device))
        bare, whole = bench_steps(trainer, args.steps, device)
    refresh = [(n, *bench_refresh(n, 2048, 10, device)) for n in (int(v) for v in args.refresh.split(","))]
    print(f"UTAL training step, {args.backbone} {h}x{w}, batch {args.batch_size}, {device}, "
          f"{cfg.loader_workers(device.type)} loader workers, torch threads {torch.get_num_threads()}")
    print(f"{'path':<44}{'images/s':>10}")
    print(f"{'bare model fwd+bwd+Adam (reference)':<44}{bare:>10.1f}")
    print(f"{'whole step (loader+model+losses+memory)':<44}{whole:>10.1f}")
    print(f"whole / bare = {whole / bare:.2f} (acceptance >= 0.90)")
    for n, t_soft, t_pairs in refresh:
        epoch_s = n * cfg.frames_per_tracklet / whole  # one pass over every tracklet's frames
        print(f"per-epoch refresh, {n} tracklets x 2048-D, 10 cameras: soft labels {t_soft:.2f} s, "
              f"cross-camera pairs {t_pairs:.2f} s, total {t_soft + t_pairs:.2f} s (acceptance < 10 s at 20,000); "
              f"{(t_soft + t_pairs) / epoch_s:.1%} of an epoch at the whole step's speed")


if __name__ == "__main__":
    main()
