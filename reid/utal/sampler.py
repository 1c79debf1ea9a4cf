"""UTAL's training data: the per-camera balanced batch sampler and the crop dataset that
DataLoader workers read."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.tracklet_index import TrackletIndex
from tracking.store import TrackletStore


class BalancedTrackletSampler:
    """Batches with the same number of tracklets from every camera and ``frames`` crops each
    (drawn with replacement when a tracklet is shorter).

    An epoch is the number of batches that draws every tracklet of the largest camera once
    (smaller cameras cycle through their tracklets in a fresh random order). Everything is drawn
    from (seed, epoch), so a resumed run repeats an interrupted epoch exactly; each item carries
    its own augmentation seed for the same reason.
    """

    def __init__(self, index: TrackletIndex, batch_size: int, frames: int = 4, seed: int = 0,
                 rank: int = 0, world: int = 1):
        self.index = index
        self.frames = frames
        T = len(index.camera_slices)
        self.per_camera = max(1, batch_size // (frames * max(T, 1)))
        largest = max(index.classes_per_camera())
        self.num_batches = int(np.ceil(largest / self.per_camera))
        self.seed = seed
        self.epoch = 0
        self.rank, self.world = rank, world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_batches

    def batches(self) -> np.ndarray:
        """All batches of the epoch: (batches, items, 3) rows of (global tracklet, camera-local
        crop, augmentation seed). Drawn with array operations: a Python loop over the items took
        minutes per epoch at a million tracklets (tools/bench_learn_start.py)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        idx = self.index
        nb, pc, F = self.num_batches, self.per_camera, self.frames
        cols = []
        for sl in idx.camera_slices:
            n = sl.stop - sl.start
            reps = int(np.ceil(nb * pc / n))
            order = np.concatenate([rng.permutation(n) for _ in range(reps)])[:nb * pc] + sl.start
            cols.append(order.reshape(nb, pc))
        g = np.concatenate(cols, axis=1)  # each batch: camera by camera, per_camera tracklets each
        cnt = idx.crop_count[g].astype(np.int64)
        crop = idx.crop_start[g][..., None] + _draw_frames(rng, cnt, F)
        seed = rng.integers(1 << 31, size=crop.shape)
        items = np.stack([np.broadcast_to(g[..., None], crop.shape), crop, seed], -1).reshape(nb, -1, 3)
        return items[:, self.rank::self.world] if self.world > 1 else items

    def __iter__(self):
        return (batch.tolist() for batch in self.batches())


def _draw_frames(rng: np.random.Generator, count: np.ndarray, k: int) -> np.ndarray:
    """(..., k) crop positions for tracklets of ``count`` crops: k distinct ones where there are k
    or more (Floyd's sampling, one step per position, every row at once), with replacement where
    fewer. Written by hand: numpy's ``choice`` draws for one row at a time."""
    u = rng.random((*count.shape, k))
    picks = np.empty((*count.shape, k), np.int64)
    for s in range(k):
        j = count - k + s
        t = np.floor(u[..., s] * (j + 1)).astype(np.int64)
        taken = (picks[..., :s] == t[..., None]).any(-1)
        picks[..., s] = np.where(taken, j, t)
    again = np.floor(rng.random((*count.shape, k)) * count[..., None]).astype(np.int64)
    return np.where((count >= k)[..., None], picks, again)


@dataclass(frozen=True)
class Augment:
    """Training augmentation beyond flip and pad-crop, drawn from each crop's own seed (so a resumed
    run sees the same images)."""

    erasing: float = 0.0  # probability of one erased rectangle (random erasing, Zhong et al. 2020)
    jitter: float = 0.0  # colour jitter strength

    def __call__(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.jitter > 0:
            img = _colour_jitter(img, rng, self.jitter)
        if self.erasing > 0 and rng.random() < self.erasing:
            img = _erase(img, rng)
        return img


def _colour_jitter(img: np.ndarray, rng: np.random.Generator, s: float) -> np.ndarray:
    """Brightness, contrast and saturation each scaled by 1 +- s, and a small hue rotation (mixing
    the channels), in one float pass."""
    x = img.astype(np.float32)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(1 - s, 1 + s)  # saturation
    x = (x - x.mean()) * rng.uniform(1 - s, 1 + s) + x.mean()  # contrast
    x = x * rng.uniform(1 - s, 1 + s)  # brightness
    x = x @ (np.eye(3, dtype=np.float32) * (1 - s / 2) + rng.uniform(0, s / 2, (3, 3)).astype(np.float32) / 3 * 2)
    return np.clip(x, 0, 255).astype(np.uint8)


def _erase(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One rectangle of 2-40 % of the area, aspect 0.3-3.3, filled with noise (the paper's setting)."""
    h, w = img.shape[:2]
    for _ in range(10):
        area = rng.uniform(0.02, 0.4) * h * w
        aspect = np.exp(rng.uniform(np.log(0.3), np.log(1 / 0.3)))
        eh, ew = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
        if 0 < eh < h and 0 < ew < w:
            y, x = int(rng.integers(0, h - eh)), int(rng.integers(0, w - ew))
            img = img.copy()
            img[y:y + eh, x:x + ew] = rng.integers(0, 256, (eh, ew, img.shape[2]), dtype=np.uint8)
            return img
    return img


class CropDataset(torch.utils.data.Dataset):
    """(global tracklet, crop, seed) -> (image tensor, tracklet, camera). Opens the store lazily in
    each worker process (TrackletStore re-opens its handle after fork)."""

    def __init__(self, store: TrackletStore, index: TrackletIndex, input_hw: tuple[int, int], train: bool,
                 augment: Augment = Augment()):
        self.store = store
        self.index = index
        self.hw = input_hw
        self.train = train
        self.augment = augment

    def __len__(self) -> int:
        return int(self.index.crop_count.sum())

    def load(self, g: int, crop: int, seed: int = 0) -> np.ndarray:
        import cv2

        cam = self.index.cameras[self.index.camera_of[g]]
        img = self.store.crop(cam, crop, self.store.reduction_for(self.hw))
        h, w = self.hw
        if self.train:
            rng = np.random.default_rng(seed)
            if rng.random() < 0.5:
                img = img[:, ::-1]
            # pad-and-crop jitter of up to 1/16 of the side, the usual re-id augmentation
            if img.shape[:2] != (h, w):
                img = cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=cv2.INTER_AREA)
            py, px = max(h // 16, 1), max(w // 16, 1)
            padded = cv2.copyMakeBorder(img, py, py, px, px, cv2.BORDER_REFLECT)
            y, x = int(rng.integers(0, 2 * py + 1)), int(rng.integers(0, 2 * px + 1))
            img = self.augment(padded[y:y + h, x:x + w], rng)
        elif img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        return img

    def __getitem__(self, item):
        """uint8 (H, W, 3): scaling and normalisation happen once per batch (``normalize_batch``)."""
        g, crop, seed = item
        img = self.load(g, crop, seed)
        return torch.from_numpy(np.ascontiguousarray(img)), g, int(self.index.camera_of[g])
