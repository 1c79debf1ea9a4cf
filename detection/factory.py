"""Build a detector from its config: one explicit constructor per backend, no registry."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detection.base import DetectionFilter, Detector
from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting

# the detector networks' floor (their scores are 0-1). Lower would hand the trackers the band
# ByteTrack's second association reads, but measured on PETS09 through the Intel detector, boxes
# from 0.1 cost our calibrated BoT-SORT IDF1 0.669 -> 0.556 (docs/tracking.md), so 0.3 stays
NETWORK_SCORE_FLOOR = 0.3
BACKENDS = ("yolo", "darknet", "onnx", "openvino", "motion", "file")


@dataclass(frozen=True)
class DetectorConfig:
    backend: str = setting("yolo", "detector backend (offline: openvino, darknet, onnx, motion, file)",
                           flag="detector", choices=BACKENDS)
    weights: str | None = setting(None, "yolo: name or .pt; darknet: .weights; onnx: .onnx; openvino: the .xml")
    cfg: str | None = setting(None, "darknet .cfg file")
    detections: str | None = setting(None, "file backend: folder with <camera>.txt or <camera>/det/det.txt")
    device: str | None = setting(None, "yolo device, e.g. cpu, cuda:0 (unset: automatic); others run on the CPU")
    input_size: int | None = setting(None, "network input side in pixels (unset: the model's own)")
    batch_size: int = setting(4, "frames per detector call")
    person_class: int = setting(0, "class index of a person in the detector's output")
    nms_iou: float = setting(0.45, "IoU above which overlapping boxes are suppressed")
    min_score: float | None = setting(None, "detection confidence floor (unset: 0.3 for the detector networks, whose "
                                      "scores are 0-1; none for file detections, whose scale is the file's own: "
                                      "the tracker calibrates them)")
    min_height: float = setting(16.0, "smallest person height in pixels")
    max_aspect: float = setting(8.0, "largest height / width: thinner boxes are not people")

    def validate(self) -> "DetectorConfig":
        if self.backend not in BACKENDS:
            raise InputError(f"unknown detector {self.backend!r}: choose one of {', '.join(BACKENDS)}")
        bad = [f"{name} {value}" for name, value, ok in (
            ("batch_size", self.batch_size, self.batch_size >= 1),
            ("min_score", self.min_score, self.min_score is None or 0 <= self.min_score <= 1),
            ("min_height", self.min_height, 0 <= self.min_height < 1e5),
            ("nms_iou", self.nms_iou, 0 < self.nms_iou <= 1),
            ("max_aspect", self.max_aspect, self.max_aspect > 0),
            ("person_class", self.person_class, self.person_class >= 0),
            ("input_size", self.input_size, self.input_size is None or 32 <= self.input_size <= 4096)) if not ok]
        if bad:
            raise InputError(f"detector settings out of range: {', '.join(bad)}")
        if self.backend == "file" and not self.detections:
            raise InputError("the file detector needs --detections DIR (one det.txt per camera)")
        return self

    def filter(self) -> DetectionFilter:
        return DetectionFilter(min_score=self.score_floor, min_height=self.min_height, max_aspect=self.max_aspect)

    @property
    def score_floor(self) -> float:
        """The floor in force: scores of a file are on its own scale, so it keeps every box unless told."""
        if self.min_score is not None:
            return self.min_score
        return -float("inf") if self.backend == "file" else NETWORK_SCORE_FLOOR


def build_detector(cfg: DetectorConfig, camera: str) -> Detector:
    cfg.validate()
    if cfg.backend == "yolo":
        from detection.yolo import DEFAULT_WEIGHTS, YoloDetector

        return YoloDetector(cfg.weights or DEFAULT_WEIGHTS, device=cfg.device, imgsz=cfg.input_size or 640,
                            batch_size=cfg.batch_size, min_score=cfg.score_floor,
                            person_class=cfg.person_class)
    if cfg.backend == "darknet":
        from detection.opencv_dnn import DarknetDetector

        size = (cfg.input_size, cfg.input_size) if cfg.input_size else None
        return DarknetDetector(cfg.cfg, cfg.weights, person_class=cfg.person_class, input_size=size,
                               nms_iou=cfg.nms_iou, batch_size=cfg.batch_size, min_score=cfg.score_floor)
    if cfg.backend == "onnx":
        from detection.opencv_dnn import OnnxDetector

        s = cfg.input_size or 640
        return OnnxDetector(cfg.weights, input_size=(s, s), person_class=cfg.person_class, nms_iou=cfg.nms_iou,
                            min_score=cfg.score_floor)
    if cfg.backend == "openvino":
        from detection.openvino_ir import OpenVinoDetector

        # SSD-style outputs keep label 0 for the background, so 0 (the default) means every label: the
        # Open Model Zoo person detectors have one class, numbered 1
        return OpenVinoDetector(cfg.weights, person_class=cfg.person_class or None, batch_size=cfg.batch_size,
                                min_score=cfg.score_floor, device=cfg.device)
    if cfg.backend == "motion":
        from detection.motion import MotionDetector

        return MotionDetector()
    from detection.file_detector import FileDetector, find_det_file

    return FileDetector.from_path(find_det_file(Path(str(cfg.detections)), camera))
