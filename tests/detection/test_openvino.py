"""The OpenVINO IR detector backend and the offline default it provides."""
from __future__ import annotations

import numpy as np
import pytest

from detection.factory import DetectorConfig, build_detector
from detection.openvino_ir import parse_ssd_output
from tests.conftest import shared_path
from tracklet_reid.errors import InputError


def test_ssd_output_rows_become_pixel_boxes_per_image():
    out = np.zeros((1, 1, 5, 7), np.float32)
    out[0, 0, 0] = [0, 1, 0.9, 0.1, 0.2, 0.3, 0.6]
    out[0, 0, 1] = [1, 1, 0.8, 0.5, 0.5, 1.2, 1.0]  # second image, clipped at the edge
    out[0, 0, 2] = [0, 1, 0.01, 0, 0, 0.1, 0.1]  # under the score floor
    out[0, 0, 3] = [0, 2, 0.9, 0, 0, 0.1, 0.1]  # another class
    out[0, 0, 4] = [-1, 0, 0, 0, 0, 0, 0]  # the end of the list
    a, b = parse_ssd_output(out, [(100, 200), (50, 40)], label=1, min_score=0.05)
    assert np.allclose(a.boxes, [[20, 20, 60, 60]]) and np.allclose(a.scores, [0.9])
    assert np.allclose(b.boxes, [[20, 25, 40, 50]])
    every_label = parse_ssd_output(out, [(100, 200), (50, 40)], label=None, min_score=0.05)[0]
    assert len(every_label) == 2


def test_bad_openvino_models_are_one_line(tmp_path):
    pytest.importorskip("openvino")
    with pytest.raises(InputError, match="needs --weights MODEL.xml"):
        build_detector(DetectorConfig(backend="openvino"), "c")
    with pytest.raises(InputError, match="no such OpenVINO model"):
        build_detector(DetectorConfig(backend="openvino", weights=str(tmp_path / "x.xml")), "c")
    (tmp_path / "x.xml").write_text("<net>")
    with pytest.raises(InputError, match="are not beside it"):
        build_detector(DetectorConfig(backend="openvino", weights=str(tmp_path / "x.xml")), "c")
    (tmp_path / "x.bin").write_bytes(b"\0" * 16)
    with pytest.raises(InputError, match="not a readable OpenVINO IR model"):
        build_detector(DetectorConfig(backend="openvino", weights=str(tmp_path / "x.xml")), "c")


def test_intel_pedestrian_detector_finds_the_pets_people_in_batches():
    pytest.importorskip("openvino")
    import cv2

    from detection.mot_text import read_mot

    xml = shared_path("weights", "intel-pedestrian-detection-adas-0002", "pedestrian-detection-adas-0002.xml")
    pets = shared_path("pets09-s2l1")
    cap = cv2.VideoCapture(str(pets / "video.avi"))
    frames = [cap.read()[1] for _ in range(6)]
    cap.release()
    one = build_detector(DetectorConfig(backend="openvino", weights=str(xml), batch_size=1), "c")
    four = build_detector(DetectorConfig(backend="openvino", weights=str(xml), batch_size=4), "c")
    a, b = one.detect(frames), four.detect(frames)  # 6 frames: a full batch of 4 and a padded one of 2
    assert len(a) == len(b) == 6
    for x, y in zip(a, b):
        keep = x.scores > 0.3
        assert np.allclose(x.boxes[keep], y.boxes[y.scores > 0.3], atol=1.0)
    gt = read_mot(pets / "gt.txt")
    found = total = 0
    for f, d in enumerate(a):
        g = gt.boxes[gt.frame == f]
        total += len(g)
        for box in g:
            found += any(_iou(box, p) > 0.5 for p in d.boxes[d.scores > 0.3])
    assert found / total > 0.75, found / total


def _iou(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_the_default_detector_falls_back_offline_to_the_intel_model(tmp_path, monkeypatch, capsys):
    """Offline with no YOLO weights, the untouched default runs the best offline detector found and
    says so; a detector the user chose is never swapped."""
    pytest.importorskip("openvino")
    shared_path("weights", "intel-pedestrian-detection-adas-0002")
    import detection.factory
    from detection.offline_default import resolve_detector

    def offline(cfg, camera):
        if cfg.backend == "yolo":
            raise InputError("cannot load YOLO weights 'yolov8n.pt' (offline); use local weights")
        return object()

    monkeypatch.setattr(detection.factory, "build_detector", offline)
    cfg, note = resolve_detector(DetectorConfig())
    assert cfg.backend == "openvino" and cfg.weights.endswith("pedestrian-detection-adas-0002.xml")
    assert note is not None and "yolo unavailable" in note and "offline OpenVINO pedestrian detector" in note
    chosen = DetectorConfig(weights="yolov8n.pt")
    assert resolve_detector(chosen) == (chosen, None)  # chosen by the user: never swapped
    monkeypatch.setattr("detection.offline_default.WEIGHT_DIRS", (tmp_path,))
    monkeypatch.setenv("TRACKLET_REID_WEIGHTS", str(tmp_path))
    with pytest.raises(InputError, match="cannot load YOLO weights"):
        resolve_detector(DetectorConfig())  # nothing to fall back on: the yolo error as it was


def test_extract_without_a_detector_choice_works_offline_first_time(tmp_path, capsys):
    """What a user without internet types first: plain extract. It runs (on the Intel model), says
    why, and records the detector that ran in the store."""
    pytest.importorskip("openvino")
    shared_path("weights", "intel-pedestrian-detection-adas-0002")
    import cv2

    from pipeline.cli import main
    from tracking.store import TrackletStore

    cap = cv2.VideoCapture(str(shared_path("pets09-s2l1", "video.avi")))
    cams = tmp_path / "cams"
    cams.mkdir()
    w = cv2.VideoWriter(str(cams / "view001.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 7.0, (768, 576))
    for _ in range(30):
        w.write(cap.read()[1])
    w.release()
    cap.release()
    assert main(["extract", "--videos", str(cams), "-o", str(tmp_path / "t.h5"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "yolo unavailable" in err and "offline OpenVINO pedestrian detector" in err
    st = TrackletStore(tmp_path / "t.h5")
    assert st.camera("view001").attrs["settings"]["detector"]["backend"] == "openvino"
    assert st.camera("view001").num_tracklets >= 3  # PETS' first frames hold 5-6 people
