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

    def predict(self) -> np.ndarray:
        """Advance every track one frame; returns predicted boxes (n, 4) xyxy."""
        if not len(self.x):
            return np.zeros((0, 4))
        # an area that would go negative stops shrinking (as SORT does)
        self.x[(self.x[:, 6] + self.x[:, 2]) <= 0, 6] = 0.0
        F = self.m.F
        self.x = self.x @ F.T
        self.P = F @ self.P @ F.T + self.m.Q
        return x_to_xyxy(self.x)

    def update(self, idx: np.ndarray, boxes: np.ndarray) -> None:
        """Correct tracks ``idx`` with measured boxes (xyxy)."""
        if len(idx) == 0:
            return
        H, R = self.m.H, self.m.R
        z = xyxy_to_z(boxes)
        x, P = self.x[idx], self.P[idx]
        y = z - x @ H.T
        PHt = P @ H.T  # (k, 7, 4)
        S = H @ PHt + R  # (k, 4, 4)
        K = np.linalg.solve(S, PHt.transpose(0, 2, 1)).transpose(0, 2, 1)  # P H^T S^-1
        self.x[idx] = x + np.einsum("kij,kj->ki", K, y)
        I_KH = np.eye(7) - K @ H
        # Joseph form, as filterpy's update uses: stays symmetric positive definite
        self.P[idx] = I_KH @ P @ I_KH.transpose(0, 2, 1) + K @ R @ K.transpose(0, 2, 1)

    def boxes(self) -> np.ndarray:
        return x_to_xyxy(self.x)
