"""Training data from a tracklet store: a flat index over the complete cameras' tracklets, the
per-camera balanced batch sampler, and the crop dataset DataLoader workers read."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from detection.errors import InputError
from tracking.store import TrackletStore

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


@dataclass
class TrackletIndex:
    """Every tracklet of the store's usable cameras, grouped by camera, with a global index."""

    cameras: list[str]
    camera_slices: list[slice]  # rows of each camera in the global tracklet order
    camera_of: np.ndarray  # (N,) camera index of each tracklet
    local_of: np.ndarray  # (N,) tracklet index within its camera
    crop_start: np.ndarray  # (N,) first crop (camera-local crop index)
    crop_count: np.ndarray  # (N,)
    gt: np.ndarray  # (N,) ground-truth identity or -1 (evaluation only)
    first_frame: np.ndarray
    last_frame: np.ndarray

    @property
    def num_tracklets(self) -> int:
        return int(len(self.camera_of))

    def classes_per_camera(self) -> list[int]:
        return [s.stop - s.start for s in self.camera_slices]

    @classmethod
    def from_store(cls, store: TrackletStore, cameras: list[str] | None = None, require: bool = True,
                   select=None) -> "TrackletIndex":
        """``select(camera_data) -> bool mask`` keeps some tracklets of each camera (default: the
        training tracklets, i.e. all of them in stores from extract)."""
        select = select or training_tracklets()
        names = cameras or store.cameras
        incomplete = [c for c in store.all_cameras if not store.is_complete(c)]
        if not names:
            why = f" ({len(incomplete)} incomplete: {', '.join(incomplete)})" if incomplete else ""
            raise InputError(f"{store.path}: no complete camera to learn from{why}; finish `pipeline extract` first")
        cams, slices, rows = [], [], []
        n = 0
        for name in names:
            c = store.camera(name)
            keep = np.flatnonzero(select(c))
            if len(keep) == 0:
                continue
            cams.append(name)
            slices.append(slice(n, n + len(keep)))
            n += len(keep)
            gt = c.gt_identity[keep] if c.gt_identity is not None else np.full(len(keep), -1)
            t = c.tracklets[keep]
            rows.append((np.full(len(keep), len(cams) - 1), keep, t["start"], t["count"], gt, t["first_frame"],
                         t["last_frame"]))
        if require and n == 0:
            raise InputError(f"{store.path}: the complete cameras hold no tracklet")
        cat = [np.concatenate(col) if rows else np.zeros(0, np.int64) for col in zip(*rows)] if rows else [np.zeros(0, np.int64)] * 7
        return cls(cams, slices, *(np.asarray(a, dtype=np.int64) for a in cat))


def training_tracklets(split: dict | None = None):
    """The tracklets learning may use: everything in stores from extract; the training set of
    benchmark stores; for split-based benchmarks (PRID2011, iLIDS-VID) the split's training
    identities (the protocol's partition, given with the data)."""
    def select(c) -> np.ndarray:
        if c.tracklet_set is None:
            return np.ones(c.num_tracklets, bool)
        if split is not None:
            return (c.tracklet_set == 3) & np.isin(c.gt_identity, split["train"])
        if (c.tracklet_set == 3).any():
            from detection.errors import InputError

            raise InputError("this benchmark defines its training set by split: give --split N (0-9)")
        return c.tracklet_set == 0

    return select


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

    def batches(self) -> list[list[tuple[int, int, int]]]:
        """All batches of the epoch: lists of (global tracklet, camera-local crop, augmentation seed)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        idx = self.index
        orders = []
        for sl in idx.camera_slices:
            n = sl.stop - sl.start
            reps = int(np.ceil(self.num_batches * self.per_camera / n))
            orders.append(np.concatenate([rng.permutation(n) for _ in range(reps)]) + sl.start)
        out = []
        for b in range(self.num_batches):
            items = []
            for order in orders:
                for g in order[b * self.per_camera:(b + 1) * self.per_camera]:
                    cnt = int(idx.crop_count[g])
                    pick = rng.choice(cnt, self.frames, replace=cnt < self.frames)
                    for p in pick:
                        items.append((int(g), int(idx.crop_start[g] + p), int(rng.integers(1 << 31))))
            out.append(items[self.rank::self.world] if self.world > 1 else items)
        return out

    def __iter__(self):
        return iter(self.batches())


class CropDataset(torch.utils.data.Dataset):
    """(global tracklet, crop, seed) -> (image tensor, tracklet, camera). Opens the store lazily in
    each worker process (TrackletStore re-opens its handle after fork)."""

    def __init__(self, store: TrackletStore, index: TrackletIndex, input_hw: tuple[int, int], train: bool):
        self.store = store
        self.index = index
        self.hw = input_hw
        self.train = train

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
            img = padded[y:y + h, x:x + w]
        elif img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        return img

    def __getitem__(self, item):
        """uint8 (H, W, 3): scaling and normalisation happen once per batch (``normalize_batch``)."""
        g, crop, seed = item
        img = self.load(g, crop, seed)
        return torch.from_numpy(np.ascontiguousarray(img)), g, int(self.index.camera_of[g])


def normalize_batch(x: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> normalised float (B, 3, H, W) in channels_last layout (a view of the
    HWC data, no copy), on ``device``: one vectorised step instead of per-image float work."""
    x = x.to(device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.as_tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.as_tensor(STD, device=x.device).view(1, 3, 1, 1)
    return x.sub_(mean).div_(std).contiguous(memory_format=torch.channels_last)


def evenly_spaced(count: int, k: int) -> np.ndarray:
    """A deterministic subset of ``k`` frame positions out of ``count`` (all when k <= 0)."""
    if k <= 0 or count <= k:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, k).round().astype(np.int64))
