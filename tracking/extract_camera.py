"""One camera's video -> detections -> SORT tracks -> tracklets, written to a store file."""
from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from detection.base import DetectionFilter, Detector
from detection.mot_text import write_mot
from detection.video import CameraSource, content_digest
from tracking.gt_identity import GroundTruthMatcher
from tracking.store import StoreWriter, encode_crop
from tracking.tracker_config import TrackerConfig
from tracking.trackers import build_tracker
from tracking.tracklets import TrackletBuilder, TrackletConfig, make_tracklet


@dataclass
class CameraSummary:
    camera: str
    frames: int = 0
    detections: int = 0
    tracks: int = 0
    tracklets: int = 0
    crops: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class _Rows:
    """Growing MOT rows (frame, id, box, score) kept as lists of arrays until written."""

    def __init__(self) -> None:
        self.frame: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.score: list[np.ndarray] = []

    def add(self, frame: int, ids: np.ndarray, boxes: np.ndarray, score: np.ndarray) -> None:
        if len(ids):
            self.frame.append(np.full(len(ids), frame))
            self.ids.append(np.asarray(ids))
            self.boxes.append(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
            self.score.append(np.asarray(score, dtype=np.float64))

    def write(self, path: Path) -> None:
        if not self.frame:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
            return
        write_mot(path, np.concatenate(self.frame), np.concatenate(self.ids), np.concatenate(self.boxes),
                  np.concatenate(self.score))


# noqa reason: one camera's whole extraction (decode, detect, track, cut, encode, write, MOT text)
# on purpose in one readable sequence, with each stage's config passed as it is
def extract_camera(  # noqa: C901, PLR0913
    source: CameraSource,
    detector: Detector,
    det_filter: DetectionFilter,
    tracker_cfg: TrackerConfig,
    tracklet_cfg: TrackletConfig,
    store_path: Path,
    encoding: str = "jpeg",
    jpeg_quality: int = 90,
    mot_dir: Path | None = None,
    settings: dict | None = None,
    progress: Callable[[int], None] | None = None,
    gt_matcher: GroundTruthMatcher | None = None,
    appearance: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    start_time: float = 0.0,
) -> CameraSummary:
    """Run one camera end to end into ``store_path`` (a part file of its own) and mark it complete.
    With ``gt_matcher``, each tracklet is labelled with its ground-truth identity (evaluation only);
    with ``appearance`` (frame, boxes) -> embeddings, the tracker associates by appearance too."""
    t0 = time.perf_counter()
    summary = CameraSummary(source.name)
    tracker = build_tracker(tracker_cfg, source.fps)
    builder = TrackletBuilder(tracklet_cfg)
    track_rows, det_rows = _Rows(), _Rows()
    frame_hw = (source.frame_size[1], source.frame_size[0]) if source.frame_size else None
    seen_tracks: set[int] = set()
    with StoreWriter(store_path, crop_hw=(tracklet_cfg.crop_height, tracklet_cfg.crop_width),
                     encoding=encoding, jpeg_quality=jpeg_quality) as store:
        cam = store.camera(
            source.name,
            source=[str(p) for p in source.paths],
            source_digest=content_digest(source.paths),
            source_kind=source.kind,
            fps=float(source.fps or 0.0),
            start_time=float(start_time),
            frame_width=int(source.frame_size[0]) if source.frame_size else 0,
            frame_height=int(source.frame_size[1]) if source.frame_size else 0,
            settings=settings or {},
        )

        def write(buf) -> None:
            t = make_tracklet(buf, tracklet_cfg)
            bufs = [encode_crop(c, encoding, jpeg_quality) for c in t.crops]
            gid = gt_matcher.identity(t.frames, t.boxes) if gt_matcher is not None else -1
            cam.add_tracklet(bufs, t.frames, t.boxes, t.scores, t.track_id, gt_identity=gid, encoded=True,
                             frame_range=(t.first_frame, t.last_frame))
            summary.tracklets += 1
            summary.crops += len(bufs)

        # Resizing, JPEG encoding and HDF5 writes run on one background thread (OpenCV releases
        # the GIL), in track-end order, so the detector never waits for them.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{source.name}")
        pending: list[Future] = []

        def write_ended(ended: list[int], confirmed: list[bool]) -> None:
            for tid, ok in zip(ended, confirmed):
                buf = builder.pop(tid, keep=ok)
                if buf is not None:
                    pending.append(writer.submit(write, buf))
            while pending and pending[0].done():
                pending.pop(0).result()  # surface a write error early

        def process(batch: list[tuple[int, np.ndarray]]) -> None:
            frames = [f for _, f in batch]
            indices = [i for i, _ in batch]
            for (index, frame), det in zip(batch, detector.detect(frames, indices)):
                det = det_filter(det, frame_hw or frame.shape[:2])
                summary.detections += len(det)
                det_rows.add(index, np.full(len(det), -1), det.boxes, det.scores)
                emb = appearance(frame, det.boxes) if appearance is not None and len(det) else None
                r = tracker.update(det.boxes, det.scores, emb)
                builder.add(index, frame, r.det_ids, det.boxes, det.scores)
                seen_tracks.update(r.ids.tolist())
                track_rows.add(index, r.ids, r.boxes, np.ones(len(r.ids)))
                write_ended(r.ended, r.ended_confirmed)
            summary.frames += len(batch)
            if progress:
                progress(len(batch))

        batch: list[tuple[int, np.ndarray]] = []
        for item in source.frames():
            batch.append(item)
            if len(batch) >= detector.batch_size:
                process(batch)
                batch = []
        if batch:
            process(batch)
        end = tracker.finish()
        write_ended(end.ended, end.ended_confirmed)
        writer.shutdown(wait=True)
        for fut in pending:
            fut.result()
        summary.tracks = len(seen_tracks)
        summary.warnings = list(source.warnings)
        if summary.frames == 0:
            summary.warnings.append(f"camera {source.name}: no frame could be decoded")
        elif summary.detections == 0:
            summary.warnings.append(f"camera {source.name}: no detections at all in {summary.frames} frames")
        elif summary.tracklets == 0:
            summary.warnings.append(f"camera {source.name}: {summary.detections} detections but no tracklet "
                                    f"of at least {tracklet_cfg.min_length} detections")
        summary.seconds = time.perf_counter() - t0
        cam.set_attrs(frame_count=int(summary.frames), summary=json.dumps(summary.as_dict()))
        if mot_dir is not None:
            track_rows.write(Path(mot_dir) / f"{source.name}.txt")
            det_rows.write(Path(mot_dir) / f"{source.name}.det.txt")
        cam.finish()
    return summary
