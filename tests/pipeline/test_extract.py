from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from detection.mot_text import read_mot
from pipeline.cli import main
from tests.helpers import make_camera_video, write_det_txt
from tracking.store import TrackletStore

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ((5, 20, 2, 0), (140, 60, -2, 0))


def make_world(tmp_path, cameras=("north", "south"), n_frames=40, people=PEOPLE):
    cams, dets = tmp_path / "cams", tmp_path / "dets"
    cams.mkdir(exist_ok=True)
    gts = {}
    for name in cameras:
        gt = make_camera_video(cams / f"{name}.avi", n_frames=n_frames, people=people)
        write_det_txt(dets / f"{name}.txt", gt)
        gts[name] = gt
    return cams, dets, gts


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err):
    lines = [l for l in err.strip().splitlines() if l]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_extract_file_detector_two_cameras(tmp_path, capsys):
    cams, dets, gts = make_world(tmp_path)
    out, mot = tmp_path / "t.h5", tmp_path / "mot"
    code, stdout, _ = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                          "--detections", dets, "--mot-out", mot, "--crop-size", "64x32")
    assert code == 0
    assert "north" in stdout and "tracklets" in stdout
    s = TrackletStore(out)
    assert s.cameras == ["north", "south"]
    for name in s.cameras:
        c = s.camera(name)
        assert c.num_tracklets == 2  # two people, each tracked whole
        assert c.crop_frame.min() >= 0 and c.attrs["fps"] == 10.0
        assert s.crop(name, 0).shape == (64, 32, 3)
        assert (c.tracklets["last_frame"] - c.tracklets["first_frame"]).min() > 20
        res = read_mot(mot / f"{name}.txt")
        assert len(np.unique(res.ids)) == 2
    s.close()
    assert (tmp_path / "t.extract.yaml").exists()
    assert not (tmp_path / "t.h5.parts").exists()
    # rerun: everything complete, nothing repeated
    code, stdout, err = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                            "--detections", dets, "--crop-size", "64x32")
    assert code == 0 and "2 camera(s) already complete" in err
    # other settings into the same store are refused
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                       "--detections", dets, "--crop-size", "64x32", "--min-length", "9")
    assert code == 1 and "other extract settings" in one_line(err)


def test_extract_parallel_workers_same_result(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path, cameras=("a", "b", "c"))
    args = ["extract", "--videos", cams, "--detector", "file", "--detections", dets, "--crop-size", "64x32", "-q"]
    assert run(capsys, *args, "-o", tmp_path / "one.h5")[0] == 0
    assert run(capsys, *args, "-o", tmp_path / "two.h5", "--workers", "2")[0] == 0
    s1, s2 = TrackletStore(tmp_path / "one.h5"), TrackletStore(tmp_path / "two.h5")
    assert s1.cameras == s2.cameras == ["a", "b", "c"]
    for c in s1.cameras:
        assert np.array_equal(s1.camera(c).tracklets, s2.camera(c).tracklets)
        assert np.array_equal(s1.camera(c).crop_box, s2.camera(c).crop_box)


def test_missing_and_empty_camera_folder(tmp_path, capsys):
    code, _, err = run(capsys, "extract", "--videos", tmp_path / "nope", "-o", tmp_path / "x.h5",
                       "--detector", "motion")
    assert code == 1 and "no such folder" in one_line(err)
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "extract", "--videos", tmp_path / "empty", "-o", tmp_path / "x.h5",
                       "--detector", "motion")
    assert code == 1 and "no cameras found" in one_line(err)


def test_an_unreadable_camera_stops_extract_unless_skipping_is_asked(tmp_path, capsys):
    """Before any work, in one line naming the file; with --skip-bad-cameras the others are
    extracted and the store, the summary and `inspect` name the skipped camera."""
    cams, dets, _ = make_world(tmp_path, cameras=("good",))
    (cams / "broken.avi").write_bytes(b"this is not a video" * 50)
    out = tmp_path / "t.h5"
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                       "--detections", dets, "--crop-size", "64x32")
    assert code == 1 and "broken.avi: unreadable video" in one_line(err) and "--skip-bad-cameras" in err
    assert not out.exists() and not out.with_name(out.name + ".parts").exists()
    with pytest.warns(UserWarning, match="broken.avi: unreadable video"):
        code, stdout, _ = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                              "--detections", dets, "--crop-size", "64x32", "--skip-bad-cameras")
    assert code == 0 and "broken: skipped (--skip-bad-cameras)" in stdout
    assert TrackletStore(out).cameras == ["good"]
    code, stdout, _ = run(capsys, "inspect", out)
    assert code == 0 and "1/1 (+1 skipped)" in stdout and "broken: not in the store" in stdout
    (cams / "good.avi").unlink()
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "u.h5", "--detector", "file",
                       "--detections", dets, "--skip-bad-cameras")
    assert code == 1 and "no camera could be read" in one_line(err)


def _jpeg_starts(data: bytes) -> list[int]:
    return [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]


def test_truncated_and_corrupt_videos_keep_what_was_read(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path, cameras=("cut", "hole"), n_frames=40)
    data = (cams / "cut.avi").read_bytes()
    starts = _jpeg_starts(data)
    (cams / "cut.avi").write_bytes(data[: starts[30] + 50])
    hole = bytearray((cams / "hole.avi").read_bytes())
    s20 = _jpeg_starts(bytes(hole))[20]
    hole[s20 + 10 : s20 + 600] = b"\x55" * 590
    (cams / "hole.avi").write_bytes(bytes(hole))
    out = tmp_path / "t.h5"
    with pytest.warns(UserWarning) as record:
        code, _, _ = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                         "--detections", dets, "--crop-size", "64x32")
    msgs = " | ".join(str(w.message) for w in record)
    assert "ends early: 30 of 40" in msgs
    assert "1 corrupt frame(s) skipped (first at frame 20)" in msgs
    code, stdout, _ = run(capsys, "inspect", out)  # what extract noticed stays with the store
    assert "cut: " in stdout and "ends early: 30 of 40" in stdout
    s = TrackletStore(out)
    assert code == 0 and s.cameras == ["cut", "hole"]
    cut = s.camera("cut")
    assert cut.attrs["frame_count"] == 30 and cut.crop_frame.max() <= 29
    hole_cam = s.camera("hole")
    assert hole_cam.attrs["frame_count"] == 39 and 20 not in hole_cam.crop_frame
    assert hole_cam.crop_frame.max() == 39  # frame numbers stay aligned after the bad frame


def test_camera_without_detections_is_complete_and_reported(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path, cameras=("quiet",))
    (dets / "quiet.txt").write_text("")
    out = tmp_path / "t.h5"
    with pytest.warns(UserWarning, match="no detections at all"):
        code, _, _ = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file",
                         "--detections", dets)
    assert code == 0
    s = TrackletStore(out)
    assert s.cameras == ["quiet"] and s.camera("quiet").num_tracklets == 0


def test_nan_boxes_in_det_txt(tmp_path, capsys):
    cams, dets, gts = make_world(tmp_path, cameras=("n",))
    with open(dets / "n.txt", "a") as f:
        f.write("3,-1,nan,10,5,20,0.9,-1,-1,-1\n4,-1,10,10,-3,20,0.9,-1,-1,-1\n5,-1,10,10,0,0,0.9,-1,-1,-1\n")
    with pytest.warns(UserWarning, match="dropped 3 row"):
        code, _, _ = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "t.h5", "--detector", "file",
                         "--detections", dets)
    assert code == 0 and TrackletStore(tmp_path / "t.h5").camera("n").num_tracklets == 2


def test_missing_detections_file_and_bad_settings(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path, cameras=("a",))
    (dets / "a.txt").unlink()
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "t.h5", "--detector", "file",
                       "--detections", dets)
    assert code == 1 and "no detections for camera 'a'" in one_line(err)
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "t.h5", "--detector", "file")
    assert code == 1 and "--detections" in one_line(err)
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "t.h5", "--detector", "motion",
                       "--min-length", "0")
    assert code == 1 and "out of range" in one_line(err)
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", tmp_path / "t.h5", "--detector", "darknet",
                       "--cfg", tmp_path / "no.cfg", "--weights", tmp_path / "no.weights")
    assert code == 1 and "no.cfg: no such Darknet cfg file" in one_line(err)


def test_killed_extract_resumes_without_repeating(tmp_path):
    cams, dets, _ = make_world(tmp_path, cameras=("a1", "b2", "c3"), n_frames=400,
                               people=((5, 20, 0.3, 0), (140, 60, -0.3, 0)))
    out = tmp_path / "t.h5"
    def command(store):
        return [sys.executable, "-m", "pipeline", "extract", "--videos", str(cams), "-o", str(store), "--detector",
                "file", "--detections", str(dets), "--crop-size", "64x32", "--max-crops", "0"]

    cmd = command(out)
    env = {**os.environ, "HDF5_USE_FILE_LOCKING": "FALSE", "PYTHONPATH": str(ROOT)}
    parts = tmp_path / "t.h5.parts"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once a1 has landed and b2 is being written
        if (parts / "b2.h5").exists() and not (parts / "a1.h5").exists():
            break
        if proc.poll() is not None:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s = TrackletStore(out)
    assert "a1" in s.cameras and "c3" not in s.cameras
    a1_before = s.camera("a1").tracklets.copy()
    s.close()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "already complete (a1)" in r.stderr
    assert "a1 " not in r.stdout.split("------")[-1].split("\n", 1)[-1]  # summary lists new cameras only
    s = TrackletStore(out)
    assert s.cameras == ["a1", "b2", "c3"]
    assert np.array_equal(s.camera("a1").tracklets, a1_before)
    ref = tmp_path / "ref.h5"
    subprocess.run(command(ref), env=env, check=True, capture_output=True)
    r2 = TrackletStore(ref)
    for c in r2.cameras:
        assert np.array_equal(r2.camera(c).tracklets, s.camera(c).tracklets)
        assert np.array_equal(r2.camera(c).crop_box, s.camera(c).crop_box)


def test_extract_with_a_reid_model_in_the_tracker(tmp_path, capsys):
    """`--reid-model`: each frame's boxes are embedded for BoT-SORT's association (here with the
    colour-histogram model, which needs no weights); the setting is recorded with the store."""
    import cv2

    from reid.models.appearance import box_embedder

    cams, dets, gts = make_world(tmp_path, cameras=("north",))
    frame = cv2.VideoCapture(str(cams / "north.avi")).read()[1]
    boxes = np.array([[5, 20, 19, 60], [140, 60, 154, 100]], float)
    emb = box_embedder("colour", 0.05)(frame, boxes)
    assert emb.shape[0] == 2 and np.isfinite(emb).all() and not np.allclose(emb[0], emb[1])
    out = tmp_path / "t.h5"
    code, _, err = run(capsys, "extract", "--videos", cams, "-o", out, "--detector", "file", "--detections", dets,
                       "--crop-size", "64x32", "--reid-model", "colour", "-q")
    assert code == 0, err
    s = TrackletStore(out)
    assert s.camera("north").num_tracklets == 2
    settings = s.attrs["extract_settings"]
    assert settings["reid_model"] == "colour" and settings["tracker"]["algorithm"] == "botsort"


def test_the_api_says_which_cameras_a_rerun_reused(tmp_path):
    """tracklet_reid.extract is quiet by default: a resumed store says so in its result instead."""
    import tracklet_reid as tr

    cams, dets, _ = make_world(tmp_path)
    cfg = tr.ExtractConfig(detector=tr.DetectorConfig(backend="file", detections=str(dets)))
    first = tr.extract(cams, tmp_path / "t.h5", cfg)
    assert first.reused == [] and sorted(c["camera"] for c in first.cameras) == ["north", "south"]
    again = tr.extract(cams, tmp_path / "t.h5", cfg)
    assert again.reused == ["north", "south"] and again.cameras == []


def test_a_video_re_recorded_at_the_same_path_is_not_taken_as_done(tmp_path, capsys):
    """Resume compares what the videos hold (size and first / last bytes), not only their paths."""
    cams, dets, _ = make_world(tmp_path)
    out = tmp_path / "t.h5"
    argv = ("extract", "--videos", cams, "-o", out, "--detector", "file", "--detections", dets, "--crop-size", "64x32")
    assert run(capsys, *argv)[0] == 0
    make_camera_video(cams / "north.avi", n_frames=40, people=((30, 40, 1, 0), (120, 50, -1, 0)))  # new footage
    code, _, err = run(capsys, *argv)
    assert code == 1 and "north" in err and "content has changed" in one_line(err)
