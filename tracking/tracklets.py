"""Tracks -> tracklets: collect crops while a track lives, emit a tracklet when it ends."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracklet_reid.settings import setting

MAX_CROP_SIDE = 2048


@dataclass(frozen=True)
class TrackletConfig:
    # shorter tracks are mostly false positives
    min_length: int = setting(5, "drop tracks with fewer detections")
    max_crops: int = setting(64, "crops kept per tracklet, evenly spaced (0: all)")
    margin: float = setting(0.05, "box growth on each side, as a fraction of its width / height")
    crop_height: int = setting(256, "crop height x width", flag="crop-size", pair="crop_width")
    crop_width: int = setting(128, "crop width", cli=False)

    def validate(self) -> "TrackletConfig":
        from tracklet_reid.errors import InputError

        if self.min_length < 1 or self.max_crops < 0 or not 0 <= self.margin < 1:
            raise InputError(f"tracklet settings out of range: {self}")
        # a crop bigger than any person in any video only costs disk: 100000x100000 would be 30 GB per crop
        if not (8 <= self.crop_height <= MAX_CROP_SIDE and 8 <= self.crop_width <= MAX_CROP_SIDE):
            raise InputError(f"--crop-size {self.crop_height}x{self.crop_width}: each side must be 8..{MAX_CROP_SIDE} "
                             "pixels (re-id models take 256x128)")
        return self


@dataclass
class Tracklet:
    track_id: int
    frames: np.ndarray  # frames of the kept crops
    boxes: np.ndarray
    scores: np.ndarray
    crops: list[np.ndarray]  # resized RGB crops
    first_frame: int
    last_frame: int
    length: int  # detections in the whole track


@dataclass
class _Buffer:
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    crops: dict[int, np.ndarray] = field(default_factory=dict)  # detection number -> native crop
    stride: int = 1
    track_id: int = -1


def make_tracklet(buf: _Buffer, cfg: TrackletConfig) -> Tracklet:
    """Pick at most ``max_crops`` evenly spaced crops and resize them to the store's size."""
    import cv2

    held = sorted(buf.crops)
    if cfg.max_crops and len(held) > cfg.max_crops:
        pick = np.unique(np.linspace(0, len(held) - 1, cfg.max_crops).round().astype(int))
        held = [held[i] for i in pick]
    size = (cfg.crop_width, cfg.crop_height)
    crops = [cv2.resize(buf.crops[k], size, interpolation=cv2.INTER_LINEAR)[:, :, ::-1] for k in held]
    frames = np.asarray(buf.frames)
    return Tracklet(
        track_id=buf.track_id,
        frames=frames[held],
        boxes=np.stack([buf.boxes[k] for k in held]),
        scores=np.asarray([buf.scores[k] for k in held], np.float32),
        crops=crops,
        first_frame=int(frames[0]),
        last_frame=int(frames[-1]),
        length=len(frames),
    )


def crop_box(frame: np.ndarray, box: np.ndarray, margin: float) -> np.ndarray:
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    a, b = int(max(np.floor(x1 - mx), 0)), int(max(np.floor(y1 - my), 0))
    c, d = int(min(np.ceil(x2 + mx), w)), int(min(np.ceil(y2 + my), h))
    if c <= a or d <= b:
        return np.zeros((1, 1, 3), frame.dtype)
    return frame[b:d, a:c].copy()


class TrackletBuilder:
    """Keeps, per live track, every detection's frame/box/score and a bounded set of native-size
    crops (a stride that doubles whenever more than 2 * max_crops are held), so memory stays
    bounded for hours-long tracks and no crop is resized or encoded until it is kept."""

    def __init__(self, config: TrackletConfig = TrackletConfig()):
        self.cfg = config.validate()
        self._live: dict[int, _Buffer] = {}
        self.dropped_short = 0

    def add(self, frame_index: int, frame: np.ndarray, track_ids: np.ndarray, boxes: np.ndarray,
            scores: np.ndarray) -> None:
        cap = 2 * self.cfg.max_crops
        for tid, box, score in zip(track_ids.tolist(), boxes, scores.tolist()):
            if tid < 0:
                continue
            buf = self._live.get(tid)
            if buf is None:
                buf = self._live[tid] = _Buffer()
            k = len(buf.frames)
            buf.frames.append(frame_index)
            buf.boxes.append(np.asarray(box, dtype=np.float32))
            buf.scores.append(float(score))
            if k % buf.stride == 0:
                buf.crops[k] = crop_box(frame, box, self.cfg.margin)
                if cap and len(buf.crops) > cap:
                    buf.stride *= 2
                    buf.crops = {j: c for j, c in buf.crops.items() if j % buf.stride == 0}

    def pop(self, track_id: int, keep: bool = True) -> "_Buffer | None":
        """The track is over: its buffer, or None when dropped (unconfirmed or too short). Cheap;
        the crop work is in ``make_tracklet`` so it can run on another thread."""
        buf = self._live.pop(track_id, None)
        if buf is None or not keep:
            return None
        if len(buf.frames) < self.cfg.min_length:
            self.dropped_short += 1
            return None
        buf.track_id = track_id
        return buf

    def end(self, track_id: int, keep: bool = True) -> Tracklet | None:
        buf = self.pop(track_id, keep)
        return None if buf is None else make_tracklet(buf, self.cfg)

    def live(self) -> list[int]:
        return list(self._live)
