"""Constant-velocity box Kalman filter (SORT's 7-state model), batched over all tracks.

State per track: [u, v, s, r, du, dv, ds] (box centre, area, aspect ratio w/h, velocities);
measurement: [u, v, s, r]. The model matrices are SORT's and are built with filterpy's
KalmanFilter, which stays the reference implementation (tests check this bank against it step by
step). filterpy holds one filter per object; SORT then predicts track by track in Python, so the
bank stacks every track's state and covariance and runs predict/update as array operations.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoxModel:
    F: np.ndarray
    H: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    P0: np.ndarray


@functools.lru_cache(maxsize=1)
def sort_box_model() -> BoxModel:
    from filterpy.kalman import KalmanFilter

    kf = KalmanFilter(dim_x=7, dim_z=4)
    kf.F = np.array([[1, 0, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0, 1], [0, 0, 0, 1, 0, 0, 0],
                     [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1]], dtype=float)
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0  # unobserved initial velocities: high uncertainty
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    return BoxModel(kf.F.copy(), kf.H.copy(), kf.Q.copy(), kf.R.copy(), kf.P.copy())


def xyxy_to_z(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w * h, w / h], axis=1)


def x_to_xyxy(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x).reshape(-1, x.shape[-1] if x.ndim > 1 else 7)
    s, r = x[:, 2], x[:, 3]
    w = np.sqrt(np.maximum(s * r, 0.0))
    h = np.where(w > 0, s / np.where(w > 0, w, 1.0), np.nan)
    return np.stack([x[:, 0] - w / 2, x[:, 1] - h / 2, x[:, 0] + w / 2, x[:, 1] + h / 2], axis=1)


class KalmanBoxBank:
    """States (n, 7) and covariances (n, 7, 7) of n tracks, grown and shrunk as tracks come and go."""

    def __init__(self, model: BoxModel | None = None):
        self.m = model or sort_box_model()
        self.x = np.zeros((0, 7))
        self.P = np.zeros((0, 7, 7))
        # SORT's H selects the first four state entries: products with it are slices (the same
        # numbers, a matrix product of zeros and ones adds nothing), which halves the numpy calls of
        # an update on the few tracks of a frame, where call overhead is the cost
        self._select = bool(np.array_equal(self.m.H, np.eye(4, 7)))
        self._eye = np.eye(7)

    def __len__(self) -> int:
        return len(self.x)

    def add(self, boxes: np.ndarray) -> None:
        z = xyxy_to_z(boxes)
        n = len(z)
        x = np.zeros((n, 7))
        x[:, :4] = z
        self.x = np.concatenate([self.x, x])
        self.P = np.concatenate([self.P, np.broadcast_to(self.m.P0, (n, 7, 7))])

    def keep(self, mask: np.ndarray) -> None:
        self.x, self.P = self.x[mask], self.P[mask]

    def predict(self, boxes: bool = True) -> np.ndarray:
        """Advance every track one frame; returns predicted boxes (n, 4) xyxy (``boxes`` False: an
        empty array, for callers that only need the state advanced)."""
        if not len(self.x):
            return np.zeros((0, 4))
        # an area that would go negative stops shrinking (as SORT does)
        self.x[(self.x[:, 6] + self.x[:, 2]) <= 0, 6] = 0.0
        F = self.m.F
        self.x = self.x @ F.T
        self.P = F @ self.P @ F.T + self.m.Q
        return x_to_xyxy(self.x) if boxes else np.zeros((0, 4))

    def update(self, idx: np.ndarray, boxes: np.ndarray) -> None:
        """Correct tracks ``idx`` with measured boxes (xyxy)."""
        if len(idx) == 0:
            return
        H, R = self.m.H, self.m.R
        z = xyxy_to_z(boxes)
        x, P = self.x[idx], self.P[idx]
        if self._select:
            y = z - x[:, :4]
            PHt = P[:, :, :4]  # (k, 7, 4)
            S = PHt[:, :4, :] + R  # (k, 4, 4)
        else:
            y = z - x @ H.T
            PHt = P @ H.T
            S = H @ PHt + R
        K = np.linalg.solve(S, PHt.transpose(0, 2, 1)).transpose(0, 2, 1)  # P H^T S^-1
        self.x[idx] = x + np.einsum("kij,kj->ki", K, y)
        if self._select:
            # (I - K H) P = P - K (H P), H P being P's first four rows: one small product where
            # filterpy's Joseph form takes three; symmetrised, as the Joseph form would keep it
            P_new = P - K @ P[:, :4, :]
            self.P[idx] = (P_new + P_new.transpose(0, 2, 1)) / 2
            return
        I_KH = self._eye - K @ H
        # Joseph form, as filterpy's update uses: stays symmetric positive definite
        self.P[idx] = I_KH @ P @ I_KH.transpose(0, 2, 1) + K @ R @ K.transpose(0, 2, 1)

    def boxes(self) -> np.ndarray:
        return x_to_xyxy(self.x)


# DeepSORT's noise model, kept by ByteTrack and BoT-SORT: every standard deviation is a fraction of
# the box's own size, so a near (large) person may move more pixels than a far one.
STD_WEIGHT_POSITION = 1.0 / 20
STD_WEIGHT_VELOCITY = 1.0 / 160


class ScaledKalmanBank:
    """Constant-velocity boxes with size-proportional noise, batched over all tracks.

    ``mode="xyah"``: state [cx, cy, a, h, velocities] (DeepSORT, ByteTrack); ``mode="xywh"``:
    [cx, cy, w, h, velocities] (BoT-SORT, whose measured point is that width moves independently of
    height, so a box's width follows a person's better than an aspect ratio does)."""

    def __init__(self, mode: str = "xywh", step: float = 1.0):
        if mode not in ("xyah", "xywh"):
            raise ValueError(f"unknown Kalman mode {mode!r}")
        self.mode = mode
        self.step = step  # frame interval over the one the noise was set for: motion noise scales with it
        self.x = np.zeros((0, 8))
        self.P = np.zeros((0, 8, 8))

    def __len__(self) -> int:
        return len(self.x)

    def _z(self, boxes: np.ndarray) -> np.ndarray:
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        third = w / np.where(h > 0, h, 1.0) if self.mode == "xyah" else w
        return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, third, h], axis=1)

    def _std(self, x: np.ndarray, pos: float, vel: float, third: tuple[float, float]) -> np.ndarray:
        """(n, 8) standard deviations of states ``x``: position parts ``pos`` and velocity parts
        ``vel`` times the box's size (the aspect ratio's fixed: ``third``)."""
        h = x[:, 3:4]
        size = np.repeat(h, 4, axis=1) if self.mode == "xyah" else np.concatenate([x[:, 2:3], h, x[:, 2:3], h], 1)
        std = np.concatenate([pos * size, vel * size], axis=1)
        if self.mode == "xyah":
            std[:, 2], std[:, 6] = third
        return std

    def add(self, boxes: np.ndarray) -> None:
        z = self._z(boxes)
        n = len(z)
        x = np.zeros((n, 8))
        x[:, :4] = z
        std = self._std(x, 2 * STD_WEIGHT_POSITION, 10 * STD_WEIGHT_VELOCITY * self.step, (1e-2, 1e-5))
        P = np.zeros((n, 8, 8))
        P[:, np.arange(8), np.arange(8)] = std ** 2
        self.x = np.concatenate([self.x, x])
        self.P = np.concatenate([self.P, P])

    def keep(self, mask: np.ndarray) -> None:
        self.x, self.P = self.x[mask], self.P[mask]

    def predict(self) -> None:
        """Advance every track one frame. F = [[I, I], [0, I]] (position += velocity), so F P F^T is
        written out in 4 x 4 blocks: additions instead of two batched matrix products."""
        if not len(self.x):
            return
        x, P = self.x, self.P
        std = self._std(x, STD_WEIGHT_POSITION * self.step, STD_WEIGHT_VELOCITY * self.step, (1e-2, 1e-5))
        x[:, :4] += x[:, 4:]
        a, b, c, d = P[:, :4, :4], P[:, :4, 4:], P[:, 4:, :4], P[:, 4:, 4:]
        top_left = a + b + c + d
        top_right = b + d
        bottom_left = c + d
        P[:, :4, :4], P[:, :4, 4:], P[:, 4:, :4] = top_left, top_right, bottom_left
        diag = np.arange(8)
        P[:, diag, diag] += std ** 2

    def update(self, idx: np.ndarray, boxes: np.ndarray) -> None:
        if len(idx) == 0:
            return
        z = self._z(boxes)
        x, P = self.x[idx], self.P[idx]
        std = self._std(x, STD_WEIGHT_POSITION, 0.0, (1e-1, 0.0))[:, :4]
        # H = [I 0]: P H^T is P's first four columns, H P its first four rows, S = H P H^T + R
        S = P[:, :4, :4].copy()
        diag = np.arange(4)
        S[:, diag, diag] += std ** 2
        K = P[:, :, :4] @ np.linalg.inv(S)
        self.x[idx] = x + (K @ (z - x[:, :4])[:, :, None])[:, :, 0]
        self.P[idx] = P - K @ P[:, :4, :]  # (I - K H) P

    def boxes(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, 4) xyxy boxes of every track, or of ``rows`` (indices or a mask)."""
        x = self.x if rows is None else self.x[rows]
        half = np.empty((len(x), 2))
        half[:, 1] = x[:, 3] / 2
        half[:, 0] = x[:, 2] * half[:, 1] if self.mode == "xyah" else x[:, 2] / 2
        return np.concatenate([x[:, :2] - half, x[:, :2] + half], axis=1)
