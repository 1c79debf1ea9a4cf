"""A camera network's MOTChallenge files as evaluation reads them: per-camera ground truth, and the
tracker output with its track ids replaced by new ones (trajectories, global identities)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from detection.file_detector import find_det_file
from detection.mot_text import MotRows, read_mot
from tracklet_reid.errors import InputError


def read_camera_gt(gt_dir: str | Path, camera: str) -> MotRows:
    """``camera``'s ground truth in ``gt_dir`` (``<camera>.txt``, ``<camera>/gt.txt`` or
    ``<camera>/gt/gt.txt``), or a one-line error naming what is missing."""
    return read_mot(find_det_file(Path(gt_dir), camera, "gt"))


def read_network_gt(gt_dir: str | Path, cameras: list[str]) -> dict[str, MotRows]:
    return {cam: read_camera_gt(gt_dir, cam) for cam in cameras}


def find_track_file(mot_dir: str | Path, camera: str) -> Path:
    """``camera``'s tracker output in ``mot_dir`` (``extract --mot-out`` writes ``<camera>.txt``), or
    a one-line error naming what is missing."""
    path = Path(mot_dir) / f"{camera}.txt"
    if not path.is_file():
        raise InputError(f"--mot {mot_dir}: no {camera}.txt for camera {camera!r} (extract --mot-out writes one "
                         "per camera of the store)")
    return path


def read_camera_tracks(mot_dir: str | Path, camera: str) -> MotRows:
    """The tracker output extract wrote for ``camera`` (``extract --mot-out``)."""
    return read_mot(find_track_file(mot_dir, camera))


def relabelled_tracks(mot_dir: str | Path, camera: str, track_ids: np.ndarray, new_ids: np.ndarray,  # noqa: PLR0913
                      offset: int | None = None, forgotten: np.ndarray | None = None) -> MotRows:
    """The camera's tracker output with every tracklet's track id replaced by ``new_ids``; tracks
    that did not become tracklets keep ids of their own, shifted by ``offset`` (default: past the
    new ones). ``forgotten``: rows of the store's tombstones (track_id, first_frame, last_frame):
    their boxes are dropped, so a person `pipeline forget` removed never returns under a new id."""
    rows = read_camera_tracks(mot_dir, camera)
    if forgotten is not None and len(forgotten) and len(rows):
        gone = np.zeros(len(rows), bool)
        for t in forgotten:
            gone |= (rows.ids == int(t["track_id"])) & (rows.frame >= int(t["first_frame"])) & \
                    (rows.frame <= int(t["last_frame"]))
        rows = rows.select(~gone)
    lut = dict(zip(np.asarray(track_ids).tolist(), np.asarray(new_ids).tolist()))
    offset = int(np.max(new_ids, initial=0)) + 1 if offset is None else offset
    rows.ids = np.array([lut.get(int(t), offset + int(t)) for t in rows.ids], dtype=np.int64)
    return rows


def track_identities(mot_dir: str | Path, cameras: list[str]) -> dict[str, MotRows]:
    """camera -> the tracker output as it is, every track its own identity over all cameras (the
    'before' of multi-camera scores)."""
    out, offset = {}, 0
    for cam in cameras:
        rows = read_camera_tracks(mot_dir, cam)
        rows.ids = rows.ids + offset
        offset = int(rows.ids.max(initial=offset)) + 1
        out[cam] = rows
    return out
