"""MOTChallenge text files (det.txt, gt.txt, results): `frame, id, x, y, w, h, score/flag, ...`.

Frames are 1-based in the files; everything inside this project is 0-based, and conversion happens
only here.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracklet_reid.errors import InputError


@dataclass
class MotRows:
    """Rows of a MOT text file, boxes already as x1, y1, x2, y2 and frames 0-based."""

    frame: np.ndarray  # (n,) int64, 0-based
    ids: np.ndarray  # (n,) int64 (-1 for detections)
    boxes: np.ndarray  # (n, 4) float64 x1, y1, x2, y2
    score: np.ndarray  # (n,) float64: confidence (det/results) or the consider flag (gt)
    extra: np.ndarray  # (n, k) the remaining columns

    def __len__(self) -> int:
        return int(len(self.frame))

    def select(self, mask: np.ndarray) -> "MotRows":
        return MotRows(self.frame[mask], self.ids[mask], self.boxes[mask], self.score[mask], self.extra[mask])

    def by_frame(self) -> dict[int, np.ndarray]:
        """frame -> row indices, in one pass (argsort) instead of a mask per frame."""
        order = np.argsort(self.frame, kind="stable")
        frames = self.frame[order]
        cuts = np.flatnonzero(np.diff(frames)) + 1
        return {int(g[0]): order[s:e] for g, s, e in _groups(frames, cuts)}


def _groups(frames, cuts):
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(frames)]])
    for s, e in zip(starts, ends):
        if e > s:
            yield frames[s:e], s, e


def read_mot(path: str | Path, drop_invalid: bool = True) -> MotRows:
    """Read a MOT text file. Rows with NaN, negative-size or zero-area boxes are dropped with one
    warning that counts them (``drop_invalid``), since no tracker can use them."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # empty file warning: handled below
            data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{path}: not MOTChallenge text ({str(exc).splitlines()[0]})") from None
    if data.size == 0:
        data = np.zeros((0, 10))
    if data.shape[1] < 6:
        raise InputError(f"{path}: MOTChallenge rows need at least 6 columns, found {data.shape[1]}")
    if data.shape[1] < 7:
        data = np.hstack([data, np.ones((len(data), 7 - data.shape[1]))])
    x, y, w, h = data[:, 2], data[:, 3], data[:, 4], data[:, 5]
    rows = MotRows(
        frame=data[:, 0].astype(np.int64) - 1,
        ids=np.nan_to_num(data[:, 1], nan=-1).astype(np.int64),
        boxes=np.stack([x, y, x + w, y + h], axis=1),
        score=data[:, 6],
        extra=data[:, 7:],
    )
    if drop_invalid and len(rows):
        ok = np.isfinite(data[:, :7]).all(axis=1) & (w > 0) & (h > 0) & (rows.frame >= 0)
        bad = int((~ok).sum())
        if bad:
            warnings.warn(f"{path}: dropped {bad} row(s) with NaN, negative or zero-area boxes or frame < 1")
            rows = rows.select(ok)
    return rows


def write_mot(path: str | Path, frame: np.ndarray, ids: np.ndarray, boxes: np.ndarray,
              score: np.ndarray | None = None) -> None:
    """Write `frame,id,x,y,w,h,score,-1,-1,-1` rows (frames 0-based in, 1-based out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(frame)
    score = np.ones(n) if score is None else np.asarray(score, dtype=np.float64)
    b = np.asarray(boxes, dtype=np.float64).reshape(n, 4)
    order = np.lexsort((ids, frame))
    table = np.column_stack(
        [np.asarray(frame)[order] + 1, np.asarray(ids)[order], b[order, 0], b[order, 1],
         b[order, 2] - b[order, 0], b[order, 3] - b[order, 1], score[order], -np.ones((n, 3))]
    )
    # written beside and renamed when whole: a full disk or a kill never leaves a cut or empty file
    tmp = path.with_name(path.name + ".tmp")
    try:
        np.savetxt(tmp, table, fmt=["%d", "%d", "%.2f", "%.2f", "%.2f", "%.2f", "%.4f", "%d", "%d", "%d"],
                   delimiter=",")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
