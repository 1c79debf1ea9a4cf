"""Files that merge and match write beside their reports: relabelled MOT text, one CSV row per
tracklet, thumbnails for the HTML pages. (What they are scored with lives in the library:
`reid/eval/association.py`, `tracking/mot_files.py`.)"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from reid.models.embedding import TrackletFeatures

GREEN, RED = (30, 180, 30), (220, 30, 30)
# report thumbnails: tall enough to tell clothes and build apart without ground truth (a user judges
# a match by eye); stored crops are 256 x 128 by default, so this is a halving, not an enlargement
THUMB_HEIGHT = 128


def write_tracklet_table(path: Path, tf: TrackletFeatures, column: str, labels: np.ndarray) -> None:
    """One row per input tracklet (none lost, none repeated) with its new label."""
    idx = tf.index
    track_ids = np.zeros(idx.num_tracklets, np.int64)
    for c, sl in enumerate(idx.camera_slices):
        track_ids[sl] = tf.store.camera(idx.cameras[c]).tracklets["track_id"][idx.local_of[sl]]
    write_csv(path, ["camera", "tracklet", "track_id", column, "first_frame", "last_frame", "gt_identity"],
              [np.array(idx.cameras, dtype=object)[idx.camera_of], idx.local_of, track_ids, labels, idx.first_frame,
               idx.last_frame, idx.gt])


def write_csv(path: Path, header: list[str], columns: list[np.ndarray]) -> None:
    """Equal-length columns as CSV rows: csv.writer over the columns turned into lists once (on a
    million rows 1.5 s, where a row loop indexing arrays per field took 2.1 s; the csv module
    quotes what needs quoting)."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(zip(*(np.asarray(c).tolist() for c in columns)))


def write_tracks_mot(tf: TrackletFeatures, labels: np.ndarray, mot_dir: str | None, folder: Path) -> None:
    """Per-camera MOT text with ids ``labels + 1`` (trajectories or global identities)."""
    from detection.mot_text import write_mot
    from reid.eval.association import labelled_tracks

    folder.mkdir(parents=True, exist_ok=True)
    for cam, rows in labelled_tracks(tf.store, tf.index, labels, mot_dir).items():
        write_mot(folder / f"{cam}.txt", rows.frame, rows.ids, rows.boxes, rows.score)


def thumb(tf: TrackletFeatures, g: int, height: int = THUMB_HEIGHT, blur: bool = False) -> np.ndarray:
    """The middle crop of tracklet ``g``, ``height`` pixels high (``blur``: its head region blurred)."""
    idx = tf.index
    return crop_thumb(tf.store, idx.cameras[idx.camera_of[g]], int(idx.crop_start[g] + idx.crop_count[g] // 2),
                      height, blur)


def crop_thumb(store, camera: str, crop: int, height: int = THUMB_HEIGHT, blur: bool = False) -> np.ndarray:
    """One stored crop, ``height`` pixels high (``blur``: its head region blurred)."""
    img = store.crop(camera, crop, store.reduction_for((height, 1)))
    if blur:
        from tracking.render import blur_crop_head, crop_margin

        img = blur_crop_head(img, crop_margin(store.camera(camera).attrs))
    from pipeline.report import to_height

    return to_height(img, height)


def group_thumbs(tf: TrackletFeatures, members: np.ndarray, blur: bool = False, captions: bool = False,
                 most: int | None = None) -> list[np.ndarray]:
    """Thumbnails of a group's tracklets (a trajectory, an identity; the first ``most``), bordered
    green where the tracklet's identity is the whole group's majority, red where it is not, grey
    where unknown; ``captions``: each with its camera and tracklet number above it."""
    idx = tf.index
    known = idx.gt[members][idx.gt[members] >= 0]
    major = np.bincount(known).argmax() if len(known) else -1
    out = []
    for m in members[:most]:
        col = None if idx.gt[m] < 0 or major < 0 else (GREEN if idx.gt[m] == major else RED)
        im = framed(thumb(tf, int(m), blur=blur), col)
        out.append(captioned(im, address(tf, int(m))) if captions else im)
    return out


def address(tf: TrackletFeatures, g: int) -> str:
    """Tracklet ``g`` as a picture's caption: CAMERA:N, the address search and forget take (the
    camera's name cut to 12 characters to fit over a thumbnail)."""
    idx = tf.index
    return f"{idx.cameras[idx.camera_of[g]][:12]}:{idx.local_of[g]}"


def stack_rows(rows: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Rows of pictures one under another, each padded white to the widest (``pad`` above and below)."""
    width = max(r.shape[1] for r in rows)
    return np.vstack([np.pad(r, ((pad, pad), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])


def framed(img: np.ndarray, colour: tuple[int, int, int] | None) -> np.ndarray:
    """``img`` in a 3-pixel border (grey when ``colour`` is None: identity unknown)."""
    import cv2

    return cv2.copyMakeBorder(img, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=colour or (160, 160, 160))


def captioned(img: np.ndarray, text: str, below: str = "") -> np.ndarray:
    """``img`` with ``text`` in a white strip above it and ``below`` (a distance, a probability) in
    one under it (widened when the text is wider)."""
    import cv2

    font, scale = cv2.FONT_HERSHEY_PLAIN, 1.0
    width = max(cv2.getTextSize(t, font, scale, 1)[0][0] for t in (text, below))
    out = cv2.copyMakeBorder(img, 16, 16 if below else 0, 0, max(width + 4 - img.shape[1], 0) + 2,
                             cv2.BORDER_CONSTANT, value=(255, 255, 255))
    cv2.putText(out, text, (2, 12), font, scale, (0, 0, 0), 1)
    if below:
        cv2.putText(out, below, (2, out.shape[0] - 4), font, scale, (0, 0, 0), 1)
    return out


def has_truth(tf: TrackletFeatures) -> bool:
    """Whether the store's tracklets carry identities: a report's green / red legend means something."""
    return bool((tf.index.gt >= 0).any())


BORDER_LEGEND = "border: green = same person as {what}, red = not (from the store's ground truth)"
