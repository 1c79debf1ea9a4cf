"""One camera's extraction into a part file of its own: the body a worker runs, whether a local
process, the main process, or a Ray task (tracking/ray_backend.py)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from detection.video import CameraSource
from tracking.extract_config import ExtractConfig

# () -> (frame BGR (H, W, 3), boxes (n, 4) xyxy) -> embeddings (n, D)
AppearanceFactory = Callable[[], Callable[[np.ndarray, np.ndarray], np.ndarray]]


@dataclass
class CameraJob:
    source: CameraSource
    part: Path
    shown: tuple[str, ...] = ()  # warnings the main process showed already (while probing the video)
    start_time: float = 0.0  # the network's clock at the camera's first frame, seconds


def run_camera_job(job: CameraJob, cfg: ExtractConfig, mot_dir: str | None, progress=None,  # noqa: PLR0913
             threads: int | None = None, gt_dir: str | None = None, appearance: AppearanceFactory | None = None
             ) -> dict:
    """Worker body (also runs in-process when there is one worker)."""
    import cv2

    from detection.factory import build_detector
    from tracking.extract_camera import extract_camera

    if threads:
        cv2.setNumThreads(threads)
    if job.part.exists():
        job.part.unlink()  # an unfinished part from a killed run: redo the camera
    detector = build_detector(cfg.detector, job.source.name)
    matcher = None
    if gt_dir:
        from detection.file_detector import find_det_file
        from detection.mot_text import read_mot
        from tracking.gt_identity import GroundTruthMatcher

        matcher = GroundTruthMatcher(read_mot(find_det_file(Path(gt_dir), job.source.name, "gt")))
    try:
        with warnings.catch_warnings(record=True) as caught:
            # the camera's warnings travel in its summary and are shown once, as one line each, by
            # the main process (a worker process would print them with its own multi-line format)
            warnings.simplefilter("always")
            summary = extract_camera(
                job.source, detector, cfg.detector.filter(), cfg.tracker, cfg.tracklets, job.part,
                encoding=cfg.crop_encoding, jpeg_quality=cfg.jpeg_quality,
                mot_dir=Path(mot_dir) if mot_dir else None, settings=cfg.tracking_settings(), progress=progress,
                gt_matcher=matcher, appearance=appearance() if appearance is not None else None,
                start_time=job.start_time,
            )
    except BaseException:
        # an unfinished part is redone from the start by the next run anyway: keep no half file
        # (on a full disk, its space is what the user needs back)
        job.part.unlink(missing_ok=True)
        raise
    out = summary.as_dict()
    for w in caught:
        msg = str(w.message)
        if msg not in out["warnings"]:
            out["warnings"].append(msg)
    return out
