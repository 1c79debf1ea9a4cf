"""`pipeline learn` settings, with the paper's defaults (UTAL, TPAMI 2019, Sec. 4)."""
from __future__ import annotations

from dataclasses import dataclass

from detection.errors import InputError
from reid.backbones import BACKBONES
from reid.cross_camera import MODES

LABEL_MODES = ("soft", "hard", "weak")


@dataclass(frozen=True)
class LearnConfig:
    backbone: str = "resnet50"
    pretrained: str | None = "imagenet"  # 'imagenet', a weights file or folder, or 'none'
    embed_dim: int = 2048
    input_height: int = 256
    input_width: int = 128
    epochs: int = 200
    batch_size: int = 384
    frames_per_tracklet: int = 4
    lr: float = 3.5e-4
    weight_decay: float = 5e-4
    # soft labels (Eqs. 4-6): soft = kNN affinity; hard = one-hot (ablation); weak = per-camera
    # identity labels, one-hot (the weakly supervised ablation: reads ground truth, by request only)
    labels: str = "soft"
    k: int = 4
    alpha: float = 1.0  # memory update rate (Eq. 3)
    single_task: bool = False  # STC ablation: one classifier over all cameras
    # cross-camera association (Eqs. 9-10)
    ccta: bool = True
    ccta_mode: str = "reciprocal"  # reciprocal | one_way | two_way_knn
    ccta_k: int = 1  # neighbours for two_way_knn (paper ablation: 5, 10)
    ccta_lambda: float = 10.0
    ccta_start: float = 0.5  # fraction of the epochs trained with PCTD alone
    ccta_normalize: bool = True  # L2-normalise both sides of the CCTA distance (docs/utal.md)
    init_frames: int = 8  # frames per tracklet for the memory's initial pass
    eval_frames: int = 16  # frames per tracklet when embedding for evaluation
    eval_every: int = 0  # epochs between cross-camera evaluations on stores with ground truth (0: end only)
    seed: int = 0
    split: int | None = None  # PRID2011 / iLIDS-VID: which saved split's training identities to use
    # DataLoader worker processes; -1: 0 on CPU (measured: on 2 cores, loader processes slow the
    # model's own threads more than loading in-process costs, tools/bench_train.py), 8 on CUDA
    workers: int = -1
    device: str | None = None  # auto
    amp: bool = True  # mixed precision on CUDA

    def validate(self) -> "LearnConfig":
        problems = []
        if self.backbone not in BACKBONES:
            problems.append(f"backbone {self.backbone!r} (choose {', '.join(BACKBONES)})")
        if self.labels not in LABEL_MODES:
            problems.append(f"labels {self.labels!r} (choose {', '.join(LABEL_MODES)})")
        if self.ccta_mode not in MODES:
            problems.append(f"ccta_mode {self.ccta_mode!r} (choose {', '.join(MODES)})")
        for name, ok in (("epochs", self.epochs >= 1), ("batch_size", self.batch_size >= 1),
                         ("frames_per_tracklet", self.frames_per_tracklet >= 1), ("lr", self.lr > 0),
                         ("k", self.k >= 0), ("alpha", self.alpha >= 0), ("ccta_k", self.ccta_k >= 1),
                         ("ccta_lambda", self.ccta_lambda >= 0), ("ccta_start", 0 <= self.ccta_start <= 1),
                         ("embed_dim", self.embed_dim >= 1), ("input_height", self.input_height >= 16),
                         ("input_width", self.input_width >= 16), ("workers", self.workers >= -1),
                         ("weight_decay", self.weight_decay >= 0), ("init_frames", self.init_frames >= 0),
                         ("eval_frames", self.eval_frames >= 0), ("eval_every", self.eval_every >= 0)):
            if not ok:
                problems.append(f"{name} = {getattr(self, name)!r}")
        if problems:
            raise InputError("learn settings out of range: " + "; ".join(problems))
        return self

    def loader_workers(self, device_type: str) -> int:
        if self.workers >= 0:
            return self.workers
        import os

        return min(8, os.cpu_count() or 1) if device_type == "cuda" else 0

    @property
    def input_hw(self) -> tuple[int, int]:
        return (self.input_height, self.input_width)

    @property
    def ccta_first_epoch(self) -> int:
        return int(round(self.epochs * self.ccta_start))
