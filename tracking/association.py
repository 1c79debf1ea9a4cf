"""Box overlap and optimal assignment, shared by every tracker in tracking/."""
from __future__ import annotations

import numpy as np


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in a (n, 4) with every box in b (m, 4), xyxy."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a = a[:, None, :]
    b = b[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inter / union
    # degenerate (zero-area or NaN) boxes overlap nothing
    return np.where(union > 0, out, 0.0)


def associate(det_boxes: np.ndarray, trk_boxes: np.ndarray, threshold: float) -> np.ndarray:
    """SORT's association: (k, 2) pairs (detection, track) with IoU >= threshold, maximising total IoU."""
    if len(det_boxes) == 0 or len(trk_boxes) == 0:
        return np.zeros((0, 2), np.int64)
    iou = iou_matrix(det_boxes, trk_boxes)
    a = iou > threshold
    if a.sum(1).max() == 1 and a.sum(0).max() == 1:  # unambiguous: no solver needed
        pairs = np.argwhere(a)
    else:
        import lap

        _, x, _ = lap.lapjv(-iou, extend_cost=True)
        rows = np.flatnonzero(x >= 0)
        pairs = np.stack([rows, x[rows]], axis=1)
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64)
    keep = iou[pairs[:, 0], pairs[:, 1]] >= threshold
    return pairs[keep].astype(np.int64)


def min_cost_pairs(cost: np.ndarray, max_cost: float) -> np.ndarray:
    """(k, 2) pairs (row, column) of the minimum-cost assignment that uses only entries with
    cost <= ``max_cost`` (ByteTrack's gated linear assignment, lap's cost_limit)."""
    if cost.size == 0:
        return np.zeros((0, 2), np.int64)
    ok = cost <= max_cost
    per_row, per_col = ok.sum(1), ok.sum(0)
    if per_row.max() <= 1 and per_col.max() <= 1:  # no two candidates compete: the solver is not needed
        return np.argwhere(ok).astype(np.int64)
    import lap

    _, x, _ = lap.lapjv(np.ascontiguousarray(cost, dtype=np.float64), extend_cost=True, cost_limit=max_cost)
    rows = np.flatnonzero(x >= 0)
    pairs = np.stack([rows, x[rows]], axis=1).astype(np.int64)
    return pairs[cost[pairs[:, 0], pairs[:, 1]] <= max_cost]
