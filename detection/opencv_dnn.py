"""OpenCV DNN detectors: Darknet (cfg + weights) and ONNX YOLO exports. Work fully offline."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from detection.base import Detections
from tracklet_reid.errors import InputError


def _need_file(path: str | Path | None, what: str, flag: str) -> Path:
    if path is None:
        raise InputError(f"the {what} is required: give {flag} FILE")
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such {what}")
    return p


def _darknet_input_size(cfg: Path) -> tuple[int, int]:
    text = cfg.read_text(errors="replace")
    w = re.search(r"^\s*width\s*=\s*(\d+)", text, re.M)
    h = re.search(r"^\s*height\s*=\s*(\d+)", text, re.M)
    return (int(w.group(1)) if w else 416, int(h.group(1)) if h else 416)


def _check_weights_size(net, weights: Path, cfg: Path) -> None:
    """OpenCV reads a short Darknet weights file without complaint and runs it with garbage in the
    missing layers (measured: 42,000 crops from 60 frames). The file is a header and then, layer by
    layer, exactly the floats the cfg implies; the loaded network holds the same floats, plus the
    yolo layers' anchors, which come from the cfg."""
    with open(weights, "rb") as fh:
        head = np.frombuffer(fh.read(12), dtype=np.int32)
    if len(head) < 3:
        raise InputError(f"{weights}: truncated Darknet weights file (no header)")
    major, minor = int(head[0]), int(head[1])
    header = 20 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 16
    floats = 0
    for lid in range(1, len(net.getLayerNames()) + 1):
        layer = net.getLayer(lid)
        if layer.type != "Region":
            floats += sum(int(b.size) for b in layer.blobs)
    expected, size = header + 4 * floats, weights.stat().st_size
    if size < expected:
        raise InputError(f"{weights}: truncated Darknet weights file ({size} bytes; {cfg.name} needs {expected})")
    if size > expected:
        raise InputError(f"{weights}: does not fit {cfg.name} ({size} bytes; the cfg needs {expected}): another "
                         "model's weights?")


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    import cv2

    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).tolist()
    keep = cv2.dnn.NMSBoxes(xywh, scores.tolist(), 0.0, iou)
    return np.asarray(keep, dtype=np.int64).reshape(-1)


def _check_darknet_cfg(cfg_p: Path, w_p: Path) -> None:
    """A Darknet cfg is text in [sections] (OpenCV asserts deep inside on anything else)."""
    def head(p: Path) -> bytes:  # the start only: weights files run to hundreds of MB
        with open(p, "rb") as fh:
            return fh.read(4096)

    if b"\x00" in head(cfg_p) or b"[" not in head(cfg_p):
        swapped = b"\x00" not in head(w_p)
        raise InputError(f"--cfg {cfg_p}: not a Darknet network description (a text file of [net], "
                         "[convolutional], ... sections)" + ("; --cfg and --weights swapped?" if swapped else ""))


class DarknetDetector:
    """YOLO in Darknet format through cv2.dnn (opencv < 5), batched with blobFromImages."""

    name = "darknet"

    def __init__(self, cfg: str | Path | None, weights: str | Path | None, person_class: int = 0,
                 input_size: tuple[int, int] | None = None, nms_iou: float = 0.45,
                 batch_size: int = 4, min_score: float = 0.05):
        import cv2

        cfg_p = _need_file(cfg, "Darknet cfg file", "--cfg")
        w_p = _need_file(weights, "Darknet weights file", "--weights")
        _check_darknet_cfg(cfg_p, w_p)
        try:
            self.net = cv2.dnn.readNetFromDarknet(str(cfg_p), str(w_p))
        except cv2.error as exc:
            raise InputError(f"{w_p}: OpenCV cannot load this Darknet model ({_cv_msg(exc)})") from None
        _check_weights_size(self.net, w_p, cfg_p)
        self.out_names = self.net.getUnconnectedOutLayersNames()
        self.input_size = input_size or _darknet_input_size(cfg_p)
        self.person_class = person_class
        self.nms_iou = nms_iou
        self.batch_size = batch_size
        self.min_score = min_score

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int] = ()) -> list[Detections]:
        import cv2

        if not frames:
            return []
        blob = cv2.dnn.blobFromImages(list(frames), 1 / 255.0, self.input_size, swapRB=True, crop=False)
        self.net.setInput(blob)
        outs = self.net.forward(self.out_names)
        n = len(frames)
        per_frame = np.concatenate([o.reshape(n, -1, o.shape[-1]) for o in outs], axis=1)
        results = []
        for frame, rows in zip(frames, per_frame):
            h, w = frame.shape[:2]
            score = rows[:, 5 + self.person_class]
            rows, score = rows[score >= self.min_score], score[score >= self.min_score]
            cx, cy, bw, bh = rows[:, 0] * w, rows[:, 1] * h, rows[:, 2] * w, rows[:, 3] * h
            boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
            keep = nms(boxes, score, self.nms_iou)
            results.append(Detections(boxes[keep], score[keep].astype(np.float32)))
        return results


def parse_yolo_onnx_output(out: np.ndarray, frame_hw: tuple[int, int], input_hw: tuple[int, int],
                           person_class: int, min_score: float) -> tuple[np.ndarray, np.ndarray]:
    """Decode one image's YOLO ONNX output into (boxes xyxy in frame pixels, scores).

    Accepts the two common export layouts: YOLOv5 (rows of cx, cy, w, h, objectness, classes...)
    and YOLOv8+ (channels-first: 4 box rows then class rows, no objectness). Which one it is follows
    from the shape: v8 is (4 + nc, anchors) with far more anchors than channels.
    """
    a = np.asarray(out, dtype=np.float32)
    a = a.reshape(a.shape[-2], a.shape[-1]) if a.ndim == 3 else a
    if a.shape[0] < a.shape[1]:  # v8: (4 + nc, anchors)
        a = a.T
        score = a[:, 4 + person_class]
    else:  # v5: (anchors, 5 + nc)
        score = a[:, 4] * a[:, 5 + person_class]
    keep = score >= min_score
    a, score = a[keep], score[keep]
    sy, sx = frame_hw[0] / input_hw[0], frame_hw[1] / input_hw[1]
    cx, cy, bw, bh = a[:, 0] * sx, a[:, 1] * sy, a[:, 2] * sx, a[:, 3] * sy
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    return boxes.astype(np.float32), score.astype(np.float32)


class OnnxDetector:
    """YOLOv5/v8-style ONNX exports through cv2.dnn (one image per forward: exports often fix
    the batch dimension to 1)."""

    name = "onnx"
    batch_size = 1

    def __init__(self, weights: str | Path | None, input_size: tuple[int, int] = (640, 640),
                 person_class: int = 0, nms_iou: float = 0.45, min_score: float = 0.05):
        import cv2

        w_p = _need_file(weights, "ONNX model file", "--weights")
        try:
            self.net = cv2.dnn.readNetFromONNX(str(w_p))
        except cv2.error as exc:
            raise InputError(f"{w_p}: OpenCV cannot load this ONNX model ({_cv_msg(exc)})") from None
        self.input_size = input_size
        self.person_class = person_class
        self.nms_iou = nms_iou
        self.min_score = min_score

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int] = ()) -> list[Detections]:
        import cv2

        results = []
        for frame in frames:
            blob = cv2.dnn.blobFromImage(frame, 1 / 255.0, self.input_size, swapRB=True, crop=False)
            self.net.setInput(blob)
            out = self.net.forward()
            boxes, score = parse_yolo_onnx_output(
                out, frame.shape[:2], (self.input_size[1], self.input_size[0]), self.person_class, self.min_score
            )
            keep = nms(boxes, score, self.nms_iou)
            results.append(Detections(boxes[keep], score[keep]))
        return results


def _cv_msg(exc: Exception) -> str:
    lines = [l.strip() for l in str(exc).splitlines() if l.strip()]
    return lines[-1] if lines else type(exc).__name__
