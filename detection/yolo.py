"""ultralytics YOLO (optional extra `[yolo]`, AGPL-3.0), person class only."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from detection.base import Detections
from tracklet_reid.errors import InputError, first_line

DEFAULT_WEIGHTS = "yolov8n.pt"
OFFLINE_HINT = ("use local weights (--weights PATH.pt), or an offline backend: --detector darknet "
                "--cfg CFG --weights WEIGHTS, --detector onnx --weights MODEL.onnx, --detector motion, "
                "or --detector file --detections DIR")


class YoloDetector:
    name = "yolo"

    def __init__(self, weights: str | Path = DEFAULT_WEIGHTS, device: str | None = None,
                 imgsz: int = 640, batch_size: int = 8, min_score: float = 0.05, person_class: int = 0):
        import contextlib
        import io
        import os

        # ultralytics logs banners at import (a new settings file) and while loading; they would
        # stand before our one-line error, so its logger is quiet unless the user set YOLO_VERBOSE,
        # and what it prints while importing and loading is held back (our line says what failed)
        os.environ.setdefault("YOLO_VERBOSE", "False")
        held = io.StringIO()
        try:
            with contextlib.redirect_stdout(held), contextlib.redirect_stderr(held):
                from ultralytics import YOLO
        except ImportError:
            raise InputError("the yolo detector needs ultralytics: pip install 'tracklet-reid[yolo]' "
                             "(AGPL-3.0), or " + OFFLINE_HINT) from None
        w = str(weights)
        looks_local = Path(w).suffix in {".pt", ".onnx", ".engine", ".torchscript"} and ("/" in w or Path(w).exists())
        if looks_local and not Path(w).exists():
            raise InputError(f"{w}: no such YOLO weights file")
        try:
            with contextlib.redirect_stdout(held), contextlib.redirect_stderr(held):
                self.model = YOLO(w)
        except Exception as exc:  # ultralytics raises ConnectionError, FileNotFoundError, ...
            first = first_line(exc, 160, type(exc).__name__)
            raise InputError(f"cannot load YOLO weights {w!r} (offline, or not a model: {first}); "
                             + OFFLINE_HINT) from None
        self.device = device
        self.imgsz = imgsz
        self.batch_size = batch_size
        self.min_score = min_score
        self.person_class = person_class

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int] = ()) -> list[Detections]:
        if not frames:
            return []
        results = self.model.predict(list(frames), classes=[self.person_class], conf=self.min_score,
                                     imgsz=self.imgsz, device=self.device, verbose=False)
        out = []
        for r in results:
            b = r.boxes
            out.append(Detections(b.xyxy.cpu().numpy().astype(np.float32), b.conf.cpu().numpy().astype(np.float32)))
        return out
