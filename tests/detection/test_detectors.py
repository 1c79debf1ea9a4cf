from __future__ import annotations

import numpy as np
import pytest

from detection.base import DetectionFilter, Detections
from detection.factory import DetectorConfig, build_detector
from detection.opencv_dnn import parse_yolo_onnx_output
from detection.video import CameraSource
from tests.conftest import shared_path
from tests.helpers import make_camera_video
from tracking.association import iou_matrix
from tracklet_reid.errors import InputError


def test_filter_drops_nan_small_and_low_scores():
    d = Detections(np.array([[0, 0, 10, 40], [0, 0, 10, 5], [np.nan, 0, 1, 1], [0, 0, 10, 40], [5, 5, 5, 30]],
                            np.float32), np.array([0.9, 0.9, 0.9, 0.1, 0.9], np.float32))
    out = DetectionFilter(min_score=0.3, min_height=16)(d, (100, 100))
    assert out.boxes.tolist() == [[0, 0, 10, 40]]


def test_onnx_output_layouts():
    # v8: (1, 4 + nc, anchors) channels first, no objectness
    v8 = np.zeros((1, 6, 10), np.float32)
    v8[0, :4, 3] = [320, 320, 64, 128]
    v8[0, 4, 3] = 0.9
    boxes, scores = parse_yolo_onnx_output(v8, (480, 640), (640, 640), 0, 0.5)
    assert scores.tolist() == pytest.approx([0.9]) and boxes[0].tolist() == pytest.approx([288, 192, 352, 288])
    # v5: (1, anchors, 5 + nc), score = objectness * class
    v5 = np.zeros((1, 10, 7), np.float32)
    v5[0, 2] = [100, 100, 20, 40, 0.8, 0.9, 0.1]
    boxes, scores = parse_yolo_onnx_output(v5, (640, 640), (640, 640), 0, 0.5)
    assert scores.tolist() == pytest.approx([0.72]) and boxes[0].tolist() == pytest.approx([90, 80, 110, 120])


def test_yolo_offline_gives_one_line_with_alternatives(capfd):
    pytest.importorskip("ultralytics")
    with pytest.raises(InputError) as e:
        build_detector(DetectorConfig(backend="yolo", weights="/nonexistent/yolo.pt"), "c")
    assert "no such YOLO weights file" in str(e.value)
    with pytest.raises(InputError) as e:
        build_detector(DetectorConfig(backend="yolo", weights="yolov8n.pt"), "c")
    msg = str(e.value)
    assert "\n" not in msg and "--detector darknet" in msg and "--detector motion" in msg
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no ultralytics banner before our line


def test_yolo_untrained_model_runs_offline():
    pytest.importorskip("ultralytics")
    det = build_detector(DetectorConfig(backend="yolo", weights="yolov8n.yaml", input_size=160), "c")
    out = det.detect([np.zeros((120, 160, 3), np.uint8)] * 2, [0, 1])
    assert len(out) == 2 and all(o.boxes.shape[1] == 4 for o in out)


def test_motion_detector_finds_moving_people(tmp_path):
    gt = make_camera_video(tmp_path / "v.avi", n_frames=40, size=(320, 240),
                           people=((10, 60, 3, 0), (280, 120, -3, 0)))
    det = build_detector(DetectorConfig(backend="motion"), "v")
    src = CameraSource("v", "video", [tmp_path / "v.avi"]).probe()
    found = total = 0
    for i, frame in src.frames():
        d = det.detect([frame], [i])[0]
        g = gt[gt[:, 0] == i + 1]
        if i < 10 or not len(g):
            continue
        gb = np.column_stack([g[:, 2], g[:, 3], g[:, 2] + g[:, 4], g[:, 3] + g[:, 5]])
        total += len(gb)
        if len(d):
            found += int((iou_matrix(gb, d.boxes).max(axis=1) >= 0.3).sum())
    assert found / total > 0.8


def test_darknet_body_detector_on_pets_frames():
    w = shared_path("weights", "yolo-fastest-1.1-body")
    pets = shared_path("pets09-s2l1")
    from detection.mot_text import read_mot

    det = build_detector(DetectorConfig(backend="darknet", cfg=str(w / "yolo-fastest-1.1_body.cfg"),
                                        weights=str(w / "yolo-fastest-1.1_body.weights")), "pets")
    gt = read_mot(pets / "gt.txt")
    src = CameraSource("pets", "video", [pets / "video.avi"]).probe()
    hit = total = 0
    filt = DetectionFilter(min_score=0.3)
    for i, frame in src.frames():
        if i % 10:
            continue
        d = filt(det.detect([frame], [i])[0])
        g = gt.boxes[(gt.frame == i) & (gt.score != 0)]
        total += len(g)
        if len(d) and len(g):
            hit += int((iou_matrix(g, d.boxes).max(axis=1) >= 0.5).sum())
    assert hit / total >= 0.75
