"""`pipeline learn` settings, with the paper's defaults (UTAL, TPAMI 2019, Sec. 4)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from reid.models.backbones import BACKBONES
from reid.neighbours.config import NeighbourConfig
from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting

LABEL_MODES = ("soft", "hard", "weak")

# Named starting points: defaults <- preset <- YAML <- flags. The class defaults are the paper's
# (ResNet-50, 256x128, 2048-D, batch 384, 200 epochs: a GPU run). `cpu` fits a CUHK03-sized store
# (1,500 tracklets, 7,000 crops) in under 30 minutes on 2 CPU cores, measured in docs/accuracy.md;
# with `--pretrained X.onnx` the downloaded model's own input size replaces the preset's.
PRESETS: dict[str, dict] = {
    "paper": {},
    "cpu": {"backbone": "mobilenet_v2", "input_height": 128, "input_width": 64, "embed_dim": 512,
            "batch_size": 64, "epochs": 20, "workers": 0},
}
MODES = ("reciprocal", "one_way", "two_way_knn")  # CCTA pair selection (paper Table 4)
CCTA_DISTANCES = ("squared", "l2")
LEARNERS = ("utal", "contrast")


# Starting from a trained re-id model (`--pretrained X.onnx`) is fine-tuning, not training: on
# CUHK03's training identities (validation), lr 3.5e-4 with CCTA in the second half took OSNet's
# cross-camera mAP from 0.240 to 0.016 in two epochs (per-camera classification alone pulls the
# cameras apart); lr 3.5e-5 with CCTA from the first epoch (its pairs are 66 % right from the
# start) took it from 0.376 to 0.484 in four. Over 20 epochs validation mAP was 0.475, 0.484, 0.478,
# 0.478 at epochs 5, 10, 15, 20: 10 epochs. Applied under the preset, below --config and flags.
FINE_TUNE: dict = {"lr": 3.5e-5, "ccta_start": 0.0, "epochs": 10}


# The contrast learner under the cpu preset, from ImageNet-type weights, trains 40 epochs: on
# CUHK03's training identities (validation) 20 epochs gave R1/mAP 0.273/0.353 and 40 gave
# 0.292/0.363 (camera-standardised; raw 0.262/0.341 -> 0.289/0.351), about 22 minutes of training
# on 2 cores, inside the preset's 30. UTAL stays at 20 (its pairs stop improving: docs/accuracy.md).
CONTRAST_CPU: dict = {"epochs": 40}


def preset_settings(name: str | None, pretrained: str | None = None, learner: str = "utal") -> dict:
    """The settings a run starts from, below --config and flags: the preset's (none for None), the
    contrast learner's longer CPU schedule, and, when ``pretrained`` is a downloaded ONNX model, its
    own input size and FINE_TUNE."""
    if name is not None and name not in PRESETS:
        raise InputError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    base = dict(PRESETS[name]) if name else {}
    if name == "cpu" and learner == "contrast":
        base.update(CONTRAST_CPU)
    if str(pretrained or "").lower().endswith(".onnx"):
        from reid.models.onnx_model import onnx_input_hw

        base.update(FINE_TUNE)
        base["input_height"], base["input_width"] = onnx_input_hw(str(pretrained))
    return base


def preset_notes(name: str | None, pretrained: str | None, learner: str, given: set[str]) -> list[str]:
    """One line for each layer of the starting settings a run took (the preset, the contrast
    learner's schedule, fine-tuning a downloaded model), with why; a setting is named by the last
    layer that set it, and not at all when ``given`` (flags and --config) set it."""
    onnx = str(pretrained or "").lower().endswith(".onnx")
    layers: list[tuple[dict, str]] = []
    if name == "paper":
        layers.append(({}, "preset paper: the paper's settings (ResNet-50 256x128, 2048-D, batch 384, 200 epochs: "
                            "a GPU run)"))
    if name == "cpu":
        layers.append((PRESETS["cpu"], "preset cpu: {} (a CUHK03-sized store, 1,500 tracklets, in under 30 minutes "
                                       "on 2 CPU cores)"))
        if learner == "contrast":
            layers.append((CONTRAST_CPU, "contrast learner on the cpu preset: {} (on CUHK03's training identities 40 "
                                         "epochs beat 20: mAP 0.353 -> 0.363)"))
    if onnx:
        layers.append(({**FINE_TUNE, "input_height": "", "input_width": ""},
                       f"--pretrained {Path(str(pretrained)).name} is a trained re-id model, so this fine-tunes "
                       "it: {} (on CUHK03's training identities a larger lr lost most of its accuracy in two "
                       "epochs, and 10 epochs were its best)"))
    notes = []
    for k, (settings, text) in enumerate(layers):
        later = {key for s_, _ in layers[k + 1:] for key in s_}
        mine = [f"{key} {v}" if v != "" else f"{key} from the ONNX graph" for key, v in settings.items()
                if key not in given and key not in later]
        if mine or not settings:
            notes.append(text.format(", ".join(mine)))
    return notes


# Store sizes below which learning was measured to do worse than not learning (docs/accuracy.md,
# docs/utal.md): from ImageNet weights, UTAL on the demo world's 100 tracklets ended below what
# per-camera normalisation of its own starting features gives on held-out people (mAP 0.663 ->
# 0.591, both camera-normalised, 3 seeds; raw it rose 0.284 -> 0.529: it learned the cameras'
# colour casts, which normalisation removes for free), and on PETS' two views (16 tracklets) gave
# visibly wrong ids; no store measured here was large enough for a model learned from ImageNet to
# reach the downloaded OSNet x0_25 under the same evaluation: on CUHK03's training set (1,500
# tracklets, 2 cameras) the contrast learner reached camera-normalised R1 0.271 (an earlier
# version 0.322) against OSNet's 0.437 camera-normalised. Starting from a downloaded re-id model, adapting it helped
# on every store measured, down to PETS' 16 tracklets (4 of 5 people seen by both cameras right).
FELL_BELOW_START = 100
REACHED_DOWNLOAD = 1500


def size_advice(tracklets: int, cameras: int, pretrained: str | None) -> str | None:
    """One warning when the store is too small for learning from ImageNet-type weights to pay, with
    what worked on such a size; None when it is large enough or the start is a trained re-id model."""
    if str(pretrained or "").lower().endswith(".onnx"):
        return None
    better = ("start from a downloaded re-id model instead: `--learner contrast --pretrained osnet.onnx` "
              "(adapting it was the best recipe measured on stores this small), or match with the download "
              "as it is (`--model osnet.onnx`)")
    start = Path(str(pretrained)).name if pretrained else "random"
    if tracklets < FELL_BELOW_START:
        return (f"this store holds {tracklets} tracklets over {cameras} camera(s): far too few to learn re-id from "
                f"{start} weights (on {FELL_BELOW_START} tracklets UTAL ended below its own starting "
                f"features with per-camera normalisation; on 16 it gave wrong ids); {better}")
    if tracklets < REACHED_DOWNLOAD:
        return (f"this store holds {tracklets} tracklets over {cameras} camera(s): fewer than the {REACHED_DOWNLOAD} "
                f"of CUHK03's training set, where a model learned from ImageNet still trailed the downloaded OSNet "
                f"under the same evaluation; expect it to trail a download; {better}")
    return None


SPACETIME = ("auto", "off")
HEAD_INITS = ("random", "memory")


@dataclass(frozen=True)
class LearnConfig:
    learner: str = setting("utal", "utal (the paper) or contrast: tracklet cluster contrast with per-camera "
                           "proxies and time-overlap cannot-links (reid/contrast/)", choices=LEARNERS)
    backbone: str = setting("resnet50", "network trunk (resnet50 is the paper's)", choices=tuple(BACKBONES))
    pretrained: str | None = setting("imagenet", "starting weights: imagenet (torchvision, online), a weights "
                                     "file or folder, or none")
    embed_dim: int = setting(2048, "embedding size (the paper's: 2048)")
    input_height: int = setting(256, "network input height x width", flag="input-size", pair="input_width")
    input_width: int = setting(128, "network input width", cli=False)
    epochs: int = setting(200, "training epochs")
    batch_size: int = setting(384, "images per batch")
    frames_per_tracklet: int = setting(4, "frames of each tracklet in a batch")
    lr: float = setting(3.5e-4, "Adam learning rate")
    weight_decay: float = setting(5e-4, "Adam weight decay")
    # soft labels (Eqs. 4-6): soft = kNN affinity; hard = one-hot (ablation); weak = per-camera
    # identity labels, one-hot (the weakly supervised ablation: reads ground truth, by request only)
    labels: str = setting("soft", "soft (UTAL), hard one-hot, or weak: per-camera identity labels (ablation; "
                          "reads ground truth)", choices=LABEL_MODES)
    k: int = setting(4, "neighbours K of the soft labels' affinity (Eq. 4; 0 = one-hot)")
    alpha: float = setting(1.0, "memory update rate (Eq. 3)")
    # the paper does not say; imprinting measured better on held-out synthetic people (3 seeds) and on
    # CUHK03's training identities (docs/utal.md)
    head_init: str = setting("memory", "how the per-camera classifiers start: memory (each row its tracklet's "
                             "initial memory vector) or random (small normal rows)", choices=HEAD_INITS)
    single_task: bool = setting(False, "single-task classification ablation (STC): one classifier over all "
                                "cameras", flag="stc")
    # cross-camera association (Eqs. 9-10)
    ccta: bool = setting(True, "cross-camera tracklet association (CCTA)")
    ccta_mode: str = setting("reciprocal", "how cross-camera pairs are chosen", choices=MODES)
    ccta_k: int = setting(1, "neighbours for two_way_knn (the paper's ablation: 5, 10)")
    ccta_lambda: float = setting(10.0, "CCTA weight lambda", flag="lambda")
    ccta_start: float = setting(0.5, "fraction of the epochs trained with PCTD alone")
    ccta_normalize: bool = setting(True, "L2-normalise both sides of the CCTA distance (docs/utal.md)")
    ccta_distance: str = setting("squared", "CCTA distance: squared Euclidean (the spec) or l2, the plain norm as "
                                 "Eq. 10 is printed (docs/utal.md)", choices=CCTA_DISTANCES)
    camera_norm: bool = setting(True, "choose cross-camera pairs on features standardised per camera "
                                "(reid/models/camera_norm.py)")
    spacetime: str = setting("auto", "mine cross-camera pairs (CCTA, the contrast learner's identities) only where "
                             "the camera network learnt from the tracklets' times does not contradict them: auto "
                             "(where the store has times and they beat shuffled times) or off", choices=SPACETIME)
    # how the per-epoch refresh finds neighbours (exact, or approximate past --exact-below tracklets)
    search: NeighbourConfig = NeighbourConfig()
    # the contrast learner (CAP, AAAI 2021: its defaults); ccta, ccta_start, ccta_k and camera_norm
    # steer its cross-camera identities as they steer UTAL's pairs
    temperature: float = setting(0.07, "contrast learner: softmax temperature over proxies")
    inter_weight: float = setting(0.5, "contrast learner: weight of the inter-camera loss")
    hard_negatives: int = setting(50, "contrast learner: hardest other-identity proxies in the inter-camera loss")
    proxy_momentum: float = setting(0.2, "contrast learner: proxy update momentum (share of the old proxy kept)")
    # augmentation beyond flip and pad-crop: across cameras colour and occlusion change the most
    random_erasing: float = setting(0.0, "probability of erasing a random rectangle of each training crop "
                                    "(Zhong et al. 2020; 0: off)")
    colour_jitter: float = setting(0.0, "strength of random brightness/contrast/saturation/hue changes per "
                                   "training crop (0: off; 0.2: +-20 %)")
    init_frames: int = setting(8, "frames per tracklet for the memory's initial pass")
    eval_frames: int = setting(16, "frames per tracklet when embedding for evaluation")
    eval_every: int = setting(0, "epochs between cross-camera evaluations on stores with ground truth (0: at "
                              "the end only)")
    seed: int = setting(0, "random seed")
    split: int | None = setting(None, "PRID2011 / iLIDS-VID: the saved split whose training identities to use")
    # -1: 0 on CPU (measured: on 2 cores, loader processes slow the model's own threads more than
    # loading in-process costs, tools/bench_train.py), 8 on CUDA
    workers: int = setting(-1, "DataLoader worker processes (-1: 0 on CPU, 8 on CUDA)")
    device: str | None = setting(None, "cpu, cuda, cuda:1 (unset: automatic)")
    amp: bool = setting(True, "mixed precision on CUDA")

    @classmethod
    def from_preset(cls, name: str, **changes) -> "LearnConfig":
        """A preset's settings (see PRESETS) with ``changes`` on top, as `--preset NAME` and flags."""
        return cls(**{**preset_settings(name, changes.get("pretrained"), changes.get("learner", "utal")), **changes})

    def validate(self) -> "LearnConfig":
        problems = []
        for name, choices in (("backbone", tuple(BACKBONES)), ("labels", LABEL_MODES), ("learner", LEARNERS),
                              ("spacetime", SPACETIME), ("head_init", HEAD_INITS), ("ccta_mode", MODES),
                              ("ccta_distance", CCTA_DISTANCES)):
            if getattr(self, name) not in choices:
                problems.append(f"{name} {getattr(self, name)!r} (choose {', '.join(choices)})")
        if self.learner == "contrast" and (self.labels != "soft" or self.single_task):
            problems.append("--labels and --stc are UTAL ablations; the contrast learner has neither")
        for name, ok in (("epochs", self.epochs >= 1), ("batch_size", self.batch_size >= 1),
                         ("frames_per_tracklet", self.frames_per_tracklet >= 1), ("lr", self.lr > 0),
                         ("k", self.k >= 0), ("alpha", self.alpha >= 0), ("ccta_k", self.ccta_k >= 1),
                         ("ccta_lambda", self.ccta_lambda >= 0), ("ccta_start", 0 <= self.ccta_start <= 1),
                         ("embed_dim", self.embed_dim >= 1), ("input_height", self.input_height >= 16),
                         ("input_width", self.input_width >= 16), ("workers", self.workers >= -1),
                         ("weight_decay", self.weight_decay >= 0), ("init_frames", self.init_frames >= 0),
                         ("eval_frames", self.eval_frames >= 0), ("eval_every", self.eval_every >= 0),
                         ("random_erasing", 0 <= self.random_erasing <= 1),
                         ("colour_jitter", 0 <= self.colour_jitter <= 1), ("temperature", self.temperature > 0),
                         ("inter_weight", self.inter_weight >= 0), ("hard_negatives", self.hard_negatives >= 0),
                         ("proxy_momentum", 0 <= self.proxy_momentum < 1)):
            if not ok:
                problems.append(f"{name} = {getattr(self, name)!r}")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"{f.name} = {value!r} (must be finite)")
        if problems:
            raise InputError("learn settings out of range: " + "; ".join(problems))
        return self

    def loader_workers(self, device_type: str) -> int:
        if self.workers >= 0:
            return self.workers
        import os

        return min(8, os.cpu_count() or 1) if device_type == "cuda" else 0

    @property
    def model_backbone(self) -> str:
        """The network that is built: `--pretrained X.onnx` brings its own (the backbone setting is
        then unused)."""
        return "onnx" if str(self.pretrained or "").lower().endswith(".onnx") else self.backbone

    @property
    def input_hw(self) -> tuple[int, int]:
        return (self.input_height, self.input_width)

    @property
    def ccta_first_epoch(self) -> int:
        return int(round(self.epochs * self.ccta_start))
