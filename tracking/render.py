"""Draw tracking results on video: every person's box, id and a short trail, optionally with the
head region blurred, written as a video file OpenCV can write here (MJPG .avi).

Head region (`head_box`): the top 22 % of the person box over its full width. A standing
pedestrian's head and neck take the top sixth to fifth of a full-body box (anthropometric head
height is about one eighth of stature, and detector boxes add margin above the head); 22 % covers
that with room for a box that sits a little low, and the full width covers a head turned or off
centre. It is a rule for upright people, not a face detector: a bent or sitting person's face may
fall outside it (docs/privacy note in the README).
"""
from __future__ import annotations

from collections import defaultdict, deque
from pathlib import Path
from typing import Callable

import numpy as np

from detection.mot_text import MotRows
from tracklet_reid.errors import InputError

HEAD_FRACTION = 0.22


def head_box(box: np.ndarray, frame_hw: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x1, y1, x2, y2) integer pixels of the head region of an xyxy person box, clipped to the
    frame; None when nothing of it is inside."""
    x1, y1, x2, y2 = (float(v) for v in box)
    h, w = frame_hw
    top, bottom = y1, y1 + HEAD_FRACTION * (y2 - y1)
    a, b = int(np.floor(max(x1, 0))), int(np.floor(max(top, 0)))
    c, d = int(np.ceil(min(x2, w))), int(np.ceil(min(bottom, h)))
    return (a, b, c, d) if c > a and d > b else None


def blur_heads(frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``frame`` with every box's head region blurred strongly enough that a face cannot be
    recognised (a Gaussian whose sigma is a third of the region's width, at least 4 pixels); pixels
    outside the regions are untouched."""
    import cv2

    out = frame.copy()
    for box in np.asarray(boxes).reshape(-1, 4):
        r = head_box(box, frame.shape[:2])
        if r is None:
            continue
        a, b, c, d = r
        sigma = max((c - a) / 3.0, 4.0)
        out[b:d, a:c] = cv2.GaussianBlur(np.ascontiguousarray(frame[b:d, a:c]), (0, 0), sigma)
    return out


def crop_margin(camera_attrs: dict) -> float:
    """The margin a camera's crops were cut with (its recorded extract settings; extract's default
    where none is recorded, e.g. imported benchmarks)."""
    from tracking.tracklets import TrackletConfig

    settings = camera_attrs.get("settings")
    recorded = settings.get("tracklets", {}).get("margin") if isinstance(settings, dict) else None
    return float(recorded) if recorded is not None else TrackletConfig().margin


def blur_crop_head(crop: np.ndarray, margin: float) -> np.ndarray:
    """A person crop (the box grown by ``margin`` on each side, as extract cuts them) with the box's
    head region blurred: the crop's top (margin + 22 %) / (1 + 2 margin) of its height, full width."""
    h, w = crop.shape[:2]
    top = h * (margin + HEAD_FRACTION) / (1 + 2 * margin)
    # a box whose head region (its top HEAD_FRACTION) ends at ``top``
    return blur_heads(crop, np.array([[0.0, 0.0, float(w), top / HEAD_FRACTION]]))


def fill_gaps(tracks: MotRows, max_gap: int) -> tuple[MotRows, int]:
    """The boxes of every id on every frame between two of its rows at most ``max_gap`` frames
    apart, linearly interpolated (vectorised over all gaps at once); and how many frames were
    filled. Blurring uses them: match without extract's per-frame tracks has boxes only on the
    frames its crops were sampled from, and a head between two samples must not stay sharp."""
    if len(tracks) < 2:
        return tracks, 0
    order = np.lexsort((tracks.frame, tracks.ids))
    f, ids, b = tracks.frame[order], tracks.ids[order], tracks.boxes[order]
    gap = np.diff(f)
    at = np.flatnonzero((ids[1:] == ids[:-1]) & (gap > 1) & (gap <= max_gap))
    if len(at) == 0:
        return tracks, 0
    missing = gap[at] - 1
    owner = np.repeat(at, missing)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(missing) - missing, missing) + 1  # 1 .. missing per gap
    w = (step / np.repeat(gap[at], missing))[:, None]
    boxes = b[owner] * (1 - w) + b[owner + 1] * w
    filled = MotRows(f[owner] + step, ids[owner], boxes, np.zeros(len(owner)),
                     np.zeros((len(owner), tracks.extra.shape[1])))
    return MotRows(np.concatenate([tracks.frame, filled.frame]), np.concatenate([tracks.ids, filled.ids]),
                   np.concatenate([tracks.boxes, filled.boxes]), np.concatenate([tracks.score, filled.score]),
                   np.concatenate([tracks.extra, filled.extra])), int(len(owner))


def colour_of(identity: int) -> tuple[int, int, int]:
    """A stable, well-spread BGR colour per id (golden-ratio hue steps)."""
    import cv2

    hue = int((identity * 0.618033988749895 % 1.0) * 179)
    hsv = np.array([[[hue, 200, 255]]], np.uint8)
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_frame(frame: np.ndarray, ids: np.ndarray, boxes: np.ndarray, trails: dict[int, deque],
               blur: bool = False) -> np.ndarray:
    """One frame with its boxes, ids and trails drawn (heads blurred first when ``blur``)."""
    import cv2

    out = blur_heads(frame, boxes) if blur else frame.copy()
    for i, box in zip(ids.tolist(), np.asarray(boxes).reshape(-1, 4)):
        col = colour_of(i)
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        pts = list(trails.get(i, ()))
        for p, q in zip(pts, pts[1:]):
            cv2.line(out, p, q, col, 2)
        cv2.rectangle(out, (x1, y1), (x2, y2), col, 2)
        label = str(i)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        cv2.rectangle(out, (x1, max(y1 - th - 4, 0)), (x1 + tw + 4, max(y1, th + 4)), col, -1)
        cv2.putText(out, label, (x1 + 2, max(y1 - 3, th + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    return out


def open_writer(path: Path, fps: float, size: tuple[int, int]):
    """An OpenCV writer: mp4v for .mp4 where this OpenCV has it, MJPG for .avi (always here)."""
    import cv2

    fourcc = "mp4v" if path.suffix.lower() == ".mp4" else "MJPG"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), float(fps), size)
    if not w.isOpened():
        raise InputError(f"{path}: OpenCV cannot write {fourcc} video here (try a .avi name: MJPG)")
    return w


# noqa reason: the frames, the tracks, where, how fast, the two drawing choices and the progress hook
def render_camera(frames, tracks: MotRows, out: Path, fps: float, size: tuple[int, int],  # noqa: PLR0913
                  trail: int = 20, blur: bool = False, progress: Callable[[int], None] | None = None,
                  blur_tracks: MotRows | None = None) -> int:
    """Write ``frames`` ((index, BGR frame) pairs) with ``tracks`` drawn into ``out``; the number of
    frames written. ``blur_tracks``: the boxes whose heads are blurred (default ``tracks``; render
    passes them with the gaps between sampled boxes filled)."""
    by_frame = tracks.by_frame()
    blur_src = tracks if blur_tracks is None else blur_tracks
    blur_by_frame = by_frame if blur_tracks is None else blur_src.by_frame()
    trails: dict[int, deque] = defaultdict(lambda: deque(maxlen=max(trail, 1)))
    writer = open_writer(out, fps, size)
    n = 0
    try:
        for f, frame in frames:
            rows = by_frame.get(int(f), np.zeros(0, np.int64))
            ids, boxes = tracks.ids[rows], tracks.boxes[rows]
            for i, b in zip(ids.tolist(), boxes):
                trails[i].append((int((b[0] + b[2]) / 2), int(b[3])))  # the feet: where the person walks
            if blur:
                frame = blur_heads(frame, blur_src.boxes[blur_by_frame.get(int(f), np.zeros(0, np.int64))])
            writer.write(draw_frame(frame, ids, boxes, trails if trail > 0 else {}))
            n += 1
            if progress:
                progress(1)
    finally:
        writer.release()
    return n
