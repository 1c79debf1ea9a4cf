"""The training loop every learner shares: per epoch, the learner's objective refreshes its
pseudo-labels from the tracklet memory (UTAL: soft labels and cross-camera pairs,
`reid/utal/label_update.py`; contrast: clusters and proxies), then the loop trains on balanced
batches, updating the memory from every batch. Evaluation, checkpoints, the metrics log and the
final model are hooks (`hooks.py`, fast-reid's pattern); `resume` continues exactly."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from reid.engine.hooks import METRICS, Hook, default_hooks
from reid.eval.cross_camera import cross_camera_retrieval
from reid.eval.protocol import training_index
from reid.models.embedding import MODEL_FILE, embed_tracklets, pick_device, save_model
from reid.models.network import ModelConfig
from reid.models.pixels import normalize_batch
from reid.models.torch_files import load_torch_file, save_torch_file
from reid.utal.config import LearnConfig, size_advice
from reid.utal.label_update import LabelUpdate
from reid.utal.memory import TrackletMemory
from reid.utal.model import UTALNet
from reid.utal.objective import Objective, UTALObjective
from reid.utal.sampler import Augment, BalancedTrackletSampler, CropDataset
from tracking.store import TrackletStore
from tracklet_reid.errors import InputError
from tracklet_reid.output_paths import output_folder

CHECKPOINT = "checkpoints/last.pt"
# what learn writes into its folder: an input found at one of these is refused, never replaced
WRITES = (MODEL_FILE, "embedder.onnx", "embedder.torchscript.pt", "diagnostics.png", "learn.yaml", METRICS,
          "checkpoints")
# which learner runs, and why, for the log's first lines (numbers: docs/accuracy.md, CUHK03 test)
LEARNER_WHY = {
    "utal": "learner: UTAL, the default (the paper this project implements); from ImageNet weights the contrast "
            "learner learned more on real people (CUHK03 test mAP 0.265 raw against UTAL's 0.195), and on the "
            "demo's 100 tracklets it ended above camera-normalised ImageNet features on other people, where UTAL "
            "ended below (docs/utal.md): --learner contrast",
    "contrast": "learner: cluster contrast with camera-aware proxies (--learner contrast; UTAL is the default): from "
                "ImageNet weights it learned more on real people than UTAL (CUHK03 test mAP 0.265 raw against "
                "0.195)",
}
# settings added with a default other than what ran before them: a checkpoint written before
# ran with these values
BEFORE_SETTING = {"head_init": "random"}
# settings that may change between an interrupted run and its resumption
RESUMABLE_CHANGES = {"workers", "device", "eval_every"}


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))


class _Dist:
    """torchrun (DDP) when WORLD_SIZE > 1; a no-op otherwise."""

    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world > 1 and not torch.distributed.is_initialized():
            backend = "nccl" if device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def gather(self, t: torch.Tensor) -> torch.Tensor:
        """Concatenate a tensor from all ranks (first dimensions may differ by rank: a batch split
        into ``world`` shards is uneven when its size is not a multiple of it)."""
        if self.world == 1:
            return t
        n = torch.tensor([t.shape[0]], device=t.device)
        sizes = [torch.zeros_like(n) for _ in range(self.world)]
        torch.distributed.all_gather(sizes, n)
        top = int(max(s.item() for s in sizes))
        pad = torch.zeros((top - t.shape[0], *t.shape[1:]), dtype=t.dtype, device=t.device)
        parts = [torch.empty((top, *t.shape[1:]), dtype=t.dtype, device=t.device) for _ in range(self.world)]
        torch.distributed.all_gather(parts, torch.cat([t, pad]).contiguous())
        return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes)])

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()


class Trainer:
    """One learning run on a store into ``out_dir``; ``cfg.learner`` picks the objective (UTAL or
    contrast), everything else is shared."""

    def __init__(self, store_path: str | Path, out_dir: str | Path, cfg: LearnConfig, resume: bool = False,
                 progress: bool = True, log: Callable[[str], None] = print, hooks: Sequence[Hook] | None = None):
        self.cfg = cfg.validate()
        self.store_path = Path(store_path)
        self.out = Path(out_dir)
        self.resume = resume
        self.progress = progress
        self.log = log
        self.device = pick_device(cfg.device)
        self.dist = _Dist(self.device)
        if not self.dist.main:  # one voice for the whole DDP job
            self.log = lambda m: None
            self.progress = False
        self.hooks: list[Hook] = list(hooks) if hooks is not None else default_hooks()
        if self.device.type == "cuda" and self.dist.world > 1:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)

    def _store_notes(self, sizes: list[int]) -> list[str]:
        """What the log says about the store before training: cameras without pairs, one-class
        cameras, one-crop tracklets, and a store too small for the start it learns from."""
        cfg, idx = self.cfg, self.index
        notes: list[str] = []
        if len(idx.cameras) < 2 and cfg.ccta and cfg.learner == "utal":
            notes.append(f"only one camera ({idx.cameras[0]}): no cross-camera pairs exist, the CCTA "
                         "term stays off; training uses per-camera discrimination alone")
        if len(idx.cameras) < 2 and cfg.learner == "contrast":
            notes.append(f"only one camera ({idx.cameras[0]}): identities join only fragments that never "
                         "overlap in time" if self.store.frames_are_time else
                         f"only one camera ({idx.cameras[0]}) and no video time: every tracklet stays its own "
                         "identity")
        for name, n in zip(idx.cameras, sizes):
            if n == 1:
                notes.append(f"camera {name} holds a single tracklet: its classifier has one class and "
                         "adds no gradient")
        advice = size_advice(idx.num_tracklets, len(idx.cameras), cfg.pretrained)
        if advice is not None:
            notes.append(f"warning: {advice}")
        if (idx.crop_count == 1).any():
            notes.append(f"{int((idx.crop_count == 1).sum())} tracklet(s) have one crop: their "
                         f"{cfg.frames_per_tracklet} frames per batch repeat it (with augmentation)")
        return notes

    # ------------------------------------------------------------------------------------- setup
    def _setup(self) -> None:
        cfg = self.cfg
        self.store = TrackletStore(self.store_path)
        self.index = training_index(self.store, cfg.split)
        idx = self.index
        self.has_gt = bool((idx.gt >= 0).any())
        gt = torch.as_tensor(idx.gt) if self.has_gt else None
        sizes = idx.classes_per_camera()
        self.notes = self._store_notes(sizes)
        weak_classes = None
        if cfg.labels == "weak":
            if not self.has_gt:
                raise InputError(f"{self.store_path}: the weakly supervised ablation needs ground-truth "
                                 "identities in the store")
            classes, sizes = [], []
            for sl in idx.camera_slices:
                g = idx.gt[sl]
                # unlabelled tracklets keep a class of their own
                keys = np.where(g >= 0, g, -1 - np.arange(len(g)))
                _, inv = np.unique(keys, return_inverse=True)
                classes.append(torch.as_tensor(inv))
                sizes.append(int(inv.max()) + 1)
            weak_classes = torch.cat(classes)
        self.classes = sizes
        _seed_everything(cfg.seed)
        mcfg = ModelConfig(cfg.model_backbone, cfg.pretrained, cfg.embed_dim)
        self.model_cfg = mcfg
        # the contrast learner classifies against its proxies: no classifier heads
        heads = sizes if cfg.learner == "utal" else []
        self.net = UTALNet(mcfg, heads, single_task=cfg.single_task and bool(heads)).to(self.device)
        self.objective = self._objective(gt, weak_classes)
        # channels_last is faster on CUDA and, measured, on this CPU too (mobilenet_v2 128x64 training
        # step: 108 -> 151 img/s)
        self.net = self.net.to(memory_format=torch.channels_last)
        self.model = self.net
        if self.dist.world > 1:
            self.model = torch.nn.parallel.DistributedDataParallel(  # type: ignore[assignment]
                self.net, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
        self.sampler = BalancedTrackletSampler(idx, cfg.batch_size, cfg.frames_per_tracklet, cfg.seed,
                                               self.dist.rank, self.dist.world)
        self.dataset = CropDataset(self.store, idx, cfg.input_hw, train=True,
                                   augment=Augment(cfg.random_erasing, cfg.colour_jitter))
        self.start_epoch = 0
        self.memory: TrackletMemory | None = None

    def _objective(self, gt: torch.Tensor | None, weak_classes: torch.Tensor | None) -> Objective:
        cfg, idx = self.cfg, self.index
        if cfg.learner == "contrast":
            from reid.contrast.objective import ContrastObjective

            return ContrastObjective(cfg, idx, self.store.frames_are_time, gt, self.device)
        sizes = idx.classes_per_camera()
        offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(sizes)[:-1]]), dtype=torch.long)
        return UTALObjective(LabelUpdate(cfg, idx, offsets, gt, weak_classes), self.net.heads, cfg.single_task,
                             cfg.ccta_lambda, cfg.ccta_normalize, self.device, cfg.ccta_distance)

    def _fingerprint(self) -> dict:
        st = self.store_path.stat()
        return {"store": str(self.store_path.resolve()), "size": st.st_size,
                "tracklets": self.index.num_tracklets, "cameras": self.index.cameras}

    def _check_or_load(self) -> None:
        ck = self.out / CHECKPOINT
        if ck.exists() and not self.resume:
            raise InputError(f"{self.out}: holds a training run already; --resume to continue it, or choose "
                             "another output folder")
        if not ck.exists() and (self.out / MODEL_FILE).exists():
            raise InputError(f"{self.out}: holds a trained model ({MODEL_FILE}) and no checkpoint to resume; "
                             "choose another output folder, or delete it to train again")
        if not ck.exists():
            if self.resume:
                self.log(f"no checkpoint in {self.out}: starting from scratch")
            return
        try:
            state = load_torch_file(ck, "checkpoint")
        except InputError as exc:
            raise InputError(f"{exc}; delete it to start over") from None
        old = state["config"]
        new = dataclasses.asdict(self.cfg)
        # a setting added since the checkpoint was written ran at its default then (BEFORE_SETTING)
        default = {**dataclasses.asdict(LearnConfig()), **BEFORE_SETTING}
        changed = {k for k in new if old.get(k, default[k]) != new[k]} - RESUMABLE_CHANGES
        if changed:
            raise InputError(f"{ck}: was trained with other settings ({', '.join(sorted(changed))}); resume with "
                             "the same ones or choose another output folder")
        if state["fingerprint"] != self._fingerprint():
            raise InputError(f"{ck}: was trained on another store than {self.store_path}")
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.memory = TrackletMemory.from_state(state["memory"], self.device)
        torch.set_rng_state(state["torch_rng"])
        self.start_epoch = int(state["epoch"]) + 1
        self.log(f"resuming {self.out} at epoch {self.start_epoch + 1}/{self.cfg.epochs}")

    # ----------------------------------------------------------------------------- label update
    def embed_all(self, max_frames: int, desc: str) -> torch.Tensor:
        return embed_tracklets(self.net.embedder, self.store, self.index, self.cfg.input_hw, self.device,
                               max_frames=max_frames, workers=self.cfg.loader_workers(self.device.type),
                               progress=self.progress, desc=desc)

    def refresh(self, epoch: int) -> dict:
        """The per-epoch pseudo-label step (the objective's: LabelUpdate for UTAL)."""
        return self.objective.refresh(self._memory().s, epoch)

    # ---------------------------------------------------------------------------------- training
    def _loader(self, epoch: int):
        """One DataLoader for the whole run: its workers persist across epochs (no re-fork per
        epoch), and the batches of each epoch come from the sampler, drawn in this process."""
        self.sampler.set_epoch(epoch)
        if getattr(self, "_dl", None) is None:
            w = self.cfg.loader_workers(self.device.type)
            self._dl = torch.utils.data.DataLoader(
                self.dataset, batch_sampler=self.sampler, num_workers=w, pin_memory=self.device.type == "cuda",
                persistent_workers=w > 0, prefetch_factor=4 if w else None,
                worker_init_fn=_low_priority_worker if self.device.type == "cpu" else None)
        return self._dl

    def train_epoch(self, epoch: int) -> dict:
        from tqdm import tqdm

        cfg, dev = self.cfg, self.device
        self.model.train()
        use_amp = cfg.amp and dev.type == "cuda"
        amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
        sums = dict.fromkeys((*self.objective.loss_names, "loss"), 0.0)
        n_img, n_batches, paired = 0, 0, 0
        t0 = time.perf_counter()
        bar = tqdm(self._loader(epoch), total=len(self.sampler), desc=f"epoch {epoch + 1}/{cfg.epochs}",
                   unit="batch", disable=None if (self.progress and self.dist.main) else True, leave=False)
        for x, g, cam in bar:
            x = normalize_batch(x, dev)
            g, cam = g.to(dev), cam.to(dev)
            with torch.autocast(dev.type, dtype=amp_dtype, enabled=use_amp):
                emb = self.model(x)
            emb = emb.float()
            loss, parts, n_pairs = self.objective.loss(emb, g, cam, self._memory().s)
            paired += n_pairs
            if not bool(torch.isfinite(loss)):  # before the step: the weights stay those of the last good batch
                raise self._diverged(epoch, f"the loss is {loss.item()} at batch {n_batches + 1}")
            self.opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(self.opt)
            scaler.update()
            all_g, all_emb = self.dist.gather(g), self.dist.gather(emb.detach())
            self._memory().update(all_g, all_emb)
            self.objective.after_batch(all_g, all_emb)
            values = {k: v.item() for k, v in parts.items()}
            for k, v in values.items():
                sums[k] += v
            sums["loss"] += loss.item()
            n_img += x.shape[0] * self.dist.world
            n_batches += 1
            bar.set_postfix(**{k: f"{v:.3f}" for k, v in values.items()},
                            img_s=f"{n_img / max(time.perf_counter() - t0, 1e-9):.0f}")
        bar.close()
        dt = time.perf_counter() - t0
        out = {k: v / max(n_batches, 1) for k, v in sums.items()}
        out.update(images_per_s=n_img / max(dt, 1e-9), train_s=dt, batches=n_batches, ccta_tracklets=paired)
        return out

    def evaluate(self) -> dict:
        feats = self.embed_all(self.cfg.eval_frames, "evaluate")
        # compared as merge, match and evaluate compare a learned model by default: raw
        r = cross_camera_retrieval(feats, self.index)
        return {} if r is None else {f"eval_{k}": v for k, v in r.as_dict().items()}

    def fit(self) -> dict:
        """The plain loop: label update -> train one epoch -> hooks (evaluate, checkpoint, log)."""
        with self._claim_output():
            return self._fit()

    @contextlib.contextmanager
    def _claim_output(self) -> Iterator[None]:
        """The output folder checked before any work (writable, no input in the way), and locked
        for the run: a second `learn` into it stops at once instead of interleaving checkpoints."""
        if not self.dist.main:
            yield
            return
        import filelock

        with output_folder(self.out, {"store": self.store_path}, WRITES, command="learn",
                           settings=dataclasses.asdict(self.cfg), clean=False):
            lock = filelock.FileLock(str(self.out / ".learn.lock"), timeout=0)
            try:
                lock.acquire()
            except filelock.Timeout:
                raise InputError(f"{self.out}: another `pipeline learn` is writing into this folder; wait for it "
                                 "or choose another output folder") from None
            try:
                yield
            finally:
                lock.release()
                (self.out / ".learn.lock").unlink(missing_ok=True)

    def _fit(self) -> dict:
        cfg = self.cfg
        self._setup()
        self._check_or_load()
        for note in self.notes:
            self.log(note if note.startswith("warning:") else f"note: {note}")
        idx = self.index
        learner = "UTAL" if cfg.learner == "utal" else "cluster contrast (camera-aware proxies)"
        self.log(LEARNER_WHY[cfg.learner])
        self.log(f"{learner} on {self.store_path}: {len(idx.cameras)} camera(s), {idx.num_tracklets} tracklets, "
                 f"{int(idx.crop_count.sum())} crops; {self._network_name()} on {self.device}, {cfg.epochs} epochs of "
                 f"{len(self.sampler)} batches ({self.sampler.per_camera} tracklets x {cfg.frames_per_tracklet} "
                 f"frames per camera per batch)")
        self.out.mkdir(parents=True, exist_ok=True)
        if self.memory is None:
            (self.out / METRICS).write_text("")  # a fresh run: no stale epochs
            self.memory = TrackletMemory(self.embed_all(cfg.init_frames, "memory init").to(self.device), cfg.alpha)
            if cfg.learner == "utal" and cfg.head_init == "memory" and cfg.labels != "weak":
                self.net.imprint_heads(self.memory.s)
            if self.has_gt and self.dist.main:
                base = cross_camera_retrieval(self.memory.s.cpu(), idx)
                if base is not None:
                    self.write_metrics({"epoch": 0, **{f"eval_{k}": v for k, v in base.as_dict().items()}})
        last: dict = {}
        for epoch in range(self.start_epoch, cfg.epochs):
            info = self.refresh(epoch)
            stats = self.train_epoch(epoch)
            rec = {"epoch": epoch + 1, **info, **stats}
            for hook in self.hooks:
                hook.after_epoch(self, epoch, rec)
            last = rec
            self.dist.barrier()
        if self.dist.main:
            for hook in self.hooks:
                hook.after_train(self)
        return last

    def _network_name(self) -> str:
        cfg = self.cfg
        return f"ONNX {Path(str(cfg.pretrained)).name}" if cfg.model_backbone == "onnx" else cfg.backbone

    def _memory(self) -> TrackletMemory:
        assert self.memory is not None, "the memory is built before the first epoch"
        return self.memory

    def write_metrics(self, rec: dict) -> None:
        with open(self.out / METRICS, "a") as fh:
            fh.write(json.dumps(rec, default=float) + "\n")

    def save_checkpoint(self, epoch: int) -> None:
        if not self.dist.main:
            return
        path = self.out / CHECKPOINT
        if not all(bool(torch.isfinite(p).all()) for p in self.net.parameters()):
            raise self._diverged(epoch, "the weights hold NaN or inf")
        path.parent.mkdir(parents=True, exist_ok=True)
        # atomic: a kill or a full disk never leaves a half-written checkpoint
        save_torch_file({"epoch": epoch, "config": dataclasses.asdict(self.cfg), "fingerprint": self._fingerprint(),
                         "net": self.net.state_dict(), "opt": self.opt.state_dict(),
                         "memory": self._memory().state_dict(), "torch_rng": torch.get_rng_state()}, path)

    def _diverged(self, epoch: int, what: str) -> InputError:
        """The one-line stop for a run whose numbers left the finite range: nothing is saved from it,
        and the last good checkpoint (the previous epoch's) stays for --resume with other settings."""
        ck = self.out / CHECKPOINT
        kept = (f"the last good checkpoint {ck} (epoch {epoch}) is kept" if ck.exists()
                else "no epoch had finished, so nothing was saved")
        return InputError(f"epoch {epoch + 1}: {what}; training diverged (learning rate {self.cfg.lr} too high?); "
                          f"{kept}")

    def save_final_model(self) -> Path:
        return save_model(self.net.embedder, self.model_cfg, self.cfg.input_hw, self.out,
                          {"learn_config": dataclasses.asdict(self.cfg), "cameras": self.index.cameras})


def _low_priority_worker(_: int) -> None:
    """On a CPU-only machine the loader shares the cores with the model's own threads: at the lowest
    priority it fills their idle moments instead of stalling them (measured in tools/bench_train.py)."""
    try:
        os.nice(19)
    except OSError:
        pass
    torch.set_num_threads(1)
