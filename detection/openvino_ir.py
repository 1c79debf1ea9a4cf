"""OpenVINO IR detectors (`.xml` graph + `.bin` weights), read with the `openvino` package: fully
offline, and the backend of Intel's Open Model Zoo person detectors (pedestrian-detection-adas-0002,
person-detection-retail-0013, ...), which found more of the PETS09 people at a higher precision than
the Darknet body model (../shared/data/README.md: recall 0.859 / precision 0.929 against 0.835 / 0.669).

Expected graph: one image input N x 3 x H x W (BGR, 0-255 float, no normalisation: the Open Model
Zoo convention), one SSD "DetectionOutput" output [1, 1, K, 7] of rows (image, label, score, x0, y0,
x1, y1) with corners in 0-1 of the input. Open Model Zoo graphs are fixed at batch 1; the model is
reshaped to the batch on load (and back to 1 where a graph refuses), so a batch of frames is one call.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from detection.base import Detections
from tracklet_reid.errors import InputError


def parse_ssd_output(out: np.ndarray, sizes: Sequence[tuple[int, int]], label: int | None,
                     min_score: float) -> list[Detections]:
    """A DetectionOutput blob ([1, 1, K, 7]: image, label, score, x0, y0, x1, y1 in 0-1) as one
    Detections per image of ``sizes`` ((height, width) in pixels); rows with image id -1 end the list."""
    rows = np.asarray(out, dtype=np.float32).reshape(-1, 7)
    rows = rows[rows[:, 0] >= 0]
    keep = rows[:, 2] >= min_score
    if label is not None:
        keep &= rows[:, 1] == label
    rows = rows[keep]
    result = []
    for i, (h, w) in enumerate(sizes):
        r = rows[rows[:, 0] == i]
        boxes = np.clip(r[:, 3:7], 0.0, 1.0) * np.array([w, h, w, h], np.float32)
        result.append(Detections(boxes.astype(np.float32), r[:, 2].astype(np.float32)))
    return result


class OpenVinoDetector:
    """An SSD-style OpenVINO IR person detector on the CPU (or another OpenVINO device)."""

    name = "openvino"

    # noqa reason: the model file and the detector settings every backend takes
    def __init__(self, model: str | Path | None, person_class: int | None = None,  # noqa: PLR0913
                 batch_size: int = 4, min_score: float = 0.05, device: str | None = None, threads: int | None = None):
        from tracklet_reid.openvino_read import read_ir

        core, net = read_ir(model, "the openvino detector", "--weights MODEL.xml")
        xml = Path(str(model))
        if len(net.inputs) != 1 or len(net.inputs[0].partial_shape) != 4:
            raise InputError(f"{xml}: expected one image input N x 3 x H x W, found "
                             f"{[str(i.partial_shape) for i in net.inputs]}")
        out_shape = net.outputs[0].partial_shape
        if out_shape.rank.is_static and (out_shape.rank.get_length() != 4 or str(out_shape[3]) != "7"):
            raise InputError(f"{xml}: expected an SSD DetectionOutput [1, 1, K, 7], found {out_shape} (see "
                             "detection/openvino_ir.py for the outputs this backend reads)")
        shape = net.inputs[0].partial_shape
        self.input_hw = (int(shape[2].get_length()), int(shape[3].get_length()))
        self.batch_size = max(int(batch_size), 1)
        try:
            net.reshape([self.batch_size, 3, *self.input_hw])
        except Exception:  # a graph fixed at batch 1: frames go one at a time
            self.batch_size = 1
        config = {"INFERENCE_NUM_THREADS": int(threads)} if threads else {}
        self._compiled = core.compile_model(net, (device or "CPU").upper(), config)
        self._request = self._compiled.create_infer_request()
        self.person_class = person_class
        self.min_score = min_score

    def _blob(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        import cv2

        h, w = self.input_hw
        blob = np.zeros((self.batch_size, 3, h, w), np.float32)
        for i, f in enumerate(frames):
            blob[i] = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
        return blob

    def detect(self, frames: Sequence[np.ndarray], frame_indices: Sequence[int] = ()) -> list[Detections]:
        out: list[Detections] = []
        for at in range(0, len(frames), self.batch_size):
            chunk = frames[at: at + self.batch_size]
            result = self._request.infer({0: self._blob(chunk)})
            blob = next(iter(result.values()))
            out += parse_ssd_output(blob, [f.shape[:2] for f in chunk], self.person_class, self.min_score)
        return out
