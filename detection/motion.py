"""Background subtraction for fixed cameras: needs no weights at all.

Foreground blobs of a MOG2 model (OpenCV), cleaned with morphology, become boxes; the score is the
fraction of foreground pixels inside the box. It finds anything that moves, so the size and aspect
thresholds of DetectionFilter matter more here than for the learned detectors.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from detection.base import Detections


class MotionDetector:
    name = "motion"
    batch_size = 1

    def __init__(self, history: int = 200, var_threshold: float = 25.0, min_area: int = 150,
                 scale: float = 0.5, warmup: int = 5):
        import cv2

        self.subtractor = cv2.createBackgroundSubtractorMOG2(history=history, varThreshold=var_threshold,
                                                             detectShadows=True)
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.min_area = min_area
        self.scale = scale  # work at reduced resolution: 4x fewer pixels, blobs survive
        self.warmup = warmup
        self._seen = 0

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int] = ()) -> list[Detections]:
        import cv2

        out = []
        for frame in frames:
            small = cv2.resize(frame, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
            mask = self.subtractor.apply(small)
            self._seen += 1
            if self._seen <= self.warmup:  # the model has not seen the background yet
                out.append(Detections.empty())
                continue
            fg = (mask == 255).astype(np.uint8)  # 127 = shadow
            fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, self.kernel)
            fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, self.kernel, iterations=2)
            n, _, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
            s = stats[1:]
            area_min = self.min_area * self.scale * self.scale
            s = s[s[:, cv2.CC_STAT_AREA] >= area_min]
            x, y, w, h = (s[:, i].astype(np.float32) for i in range(4))
            boxes = np.stack([x, y, x + w, y + h], axis=1) / self.scale
            score = s[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
            out.append(Detections(boxes.astype(np.float32).reshape(-1, 4), score.astype(np.float32)))
        return out
