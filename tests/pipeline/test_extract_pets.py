"""Whole extract on the real PETS09-S2L1 video with the offline Darknet body detector."""
from __future__ import annotations

import numpy as np

from detection.mot_text import read_mot
from pipeline.cli import main
from tests.conftest import shared_path
from tracking.mot_metrics import evaluate_mot
from tracking.store import TrackletStore


def test_extract_pets_darknet_recall(tmp_path, capsys):
    pets = shared_path("pets09-s2l1")
    w = shared_path("weights", "yolo-fastest-1.1-body")
    cams = tmp_path / "cams"
    cams.mkdir()
    (cams / "view001.avi").symlink_to(pets / "video.avi")
    out, mot = tmp_path / "pets.h5", tmp_path / "mot"
    code = main(["extract", "--videos", str(cams), "-o", str(out), "--detector", "darknet",
                 "--cfg", str(w / "yolo-fastest-1.1_body.cfg"), "--weights", str(w / "yolo-fastest-1.1_body.weights"),
                 "--mot-out", str(mot), "-q"])
    assert code == 0
    gt = read_mot(pets / "gt.txt")
    s = evaluate_mot(gt, read_mot(mot / "view001.txt"))
    assert s.recall >= 0.75 and s.mota > 0.45 and s.idf1 > 0.3
    store = TrackletStore(out)
    cam = store.camera("view001")
    # PETS09-S2L1 holds 19 people; a fragmenting detector gives more tracklets than people (44 with
    # BoT-SORT's 4 s of lost time, 50+ with 1 s), none gives fewer than a handful
    assert 25 < cam.num_tracklets < 200 and cam.attrs["frame_count"] == 795
    assert np.all(cam.tracklets["count"] >= 1) and np.all(cam.tracklets["count"] <= 64)
