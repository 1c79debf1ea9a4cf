"""Time and place in the store (schema 2): every tracklet's first / last time in seconds on the
network's clock and where it enters and leaves the picture; version 1 stores still open; cameras
at different frame rates or start times compare in seconds, not frame numbers."""
from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from pipeline.cli import main
from reid.association.config import MatchConfig
from reid.association.match import global_identities
from reid.association.network import match_cameras
from reid.tracklet_index import TrackletIndex
from tests.pipeline.test_extract import make_world
from tracking.store import SCHEMA_VERSION, StoreWriter, TrackletStore


def _store(path, cameras: dict, size=(200, 100)):
    """cameras: name -> (fps, start_time, [(first_frame, n_crops), ...]); boxes walk right."""
    with StoreWriter(path, crop_hw=(16, 8)) as w:
        for name, (fps, start, tracklets) in cameras.items():
            cam = w.camera(name, fps=fps, start_time=start, frame_width=size[0], frame_height=size[1])
            for k, (first, n) in enumerate(tracklets):
                frames = np.arange(first, first + n)
                boxes = np.array([[10 + 5 * i, 20, 30 + 5 * i, 80] for i in range(n)], np.float32)
                cam.add_tracklet(np.zeros((n, 16, 8, 3), np.uint8), frames, boxes, np.ones(n), k + 1)
            cam.finish()
    return path


def test_tracklets_carry_seconds_and_entry_exit_places(tmp_path):
    path = _store(tmp_path / "s.h5", {"a": (10.0, 100.0, [(0, 5), (20, 11)]), "b": (25.0, 0.0, [(50, 3)])})
    store = TrackletStore(path)
    assert store.attrs["version"] == SCHEMA_VERSION == 2
    a, b = store.camera("a"), store.camera("b")
    assert a.first_time.tolist() == [100.0, 102.0] and a.last_time.tolist() == [100.4, 103.0]
    assert b.first_time.tolist() == [2.0] and b.last_time.tolist() == pytest.approx([2.08])
    # the box's foot: centre x and bottom y over the frame size, at the first and the last crop
    assert a.entry[0].tolist() == pytest.approx([20 / 200, 0.8])
    assert a.exit[1].tolist() == pytest.approx([70 / 200, 0.8])
    with h5py.File(path) as f:
        assert {"first_time", "last_time", "entry", "exit"} <= set(f["cameras/a"])
    index = TrackletIndex.from_store(store)
    assert index.times_known and index.spans()[0].tolist() == [100.0, 102.0, 2.0]


def test_a_version_1_store_opens_and_its_times_are_derived(tmp_path):
    path = _store(tmp_path / "old.h5", {"a": (10.0, 0.0, [(30, 4)])})
    with h5py.File(path, "r+") as f:  # as the first schema wrote it: no time or place columns
        f.attrs["version"] = 1
        for name in ("first_time", "last_time", "entry", "exit"):
            del f["cameras/a"][name]
    c = TrackletStore(path).camera("a")
    assert c.first_time.tolist() == [3.0] and c.last_time.tolist() == [pytest.approx(3.3)]
    assert c.entry[0].tolist() == pytest.approx([0.1, 0.8])


def test_a_camera_without_a_frame_rate_has_no_times_and_match_says_so(tmp_path):
    path = _store(tmp_path / "s.h5", {"a": (0.0, 0.0, [(0, 3)]), "b": (10.0, 0.0, [(0, 3)])})
    store = TrackletStore(path)
    assert not store.camera("a").has_time and store.camera("b").has_time
    index = TrackletIndex.from_store(store)
    assert not index.times_known and index.cameras_without_clock == ("a",)
    assert index.spans()[0].tolist() == [0, 0]  # frame numbers, as before
    with pytest.warns(UserWarning, match="camera\\(s\\) a have no frame rate"):
        match_cameras(torch.eye(2), index, MatchConfig())


def test_cameras_at_other_frame_rates_are_compared_in_seconds(tmp_path):
    """One person: camera a at 10 fps sees them in frames 50-80 (5-8 s), camera b at 30 fps in
    frames 60-120 (2-4 s). The frame numbers overlap, the seconds do not: with disjoint views the
    link is allowed (it was refused when frames were compared across cameras)."""
    path = _store(tmp_path / "s.h5", {"a": (10.0, 0.0, [(50, 31)]), "b": (30.0, 0.0, [(60, 61)])})
    index = TrackletIndex.from_store(TrackletStore(path))
    same = torch.ones(2, 4)  # one appearance: mutual nearest neighbours
    ids = match_cameras(same, index, MatchConfig(distance_cut="none"))
    assert ids.labels[0] == ids.labels[1] and ids.stats["links_refused_time_overlap"] == 0
    _, by_frames = global_identities(same, index.camera_of, index.first_frame, index.last_frame)
    assert by_frames["links_refused_time_overlap"] == 1  # the old comparison


def test_start_time_and_offsets_put_cameras_on_one_clock(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path)
    offsets = tmp_path / "offsets.yaml"
    offsets.write_text("south: -90.5\n")
    out = tmp_path / "t.h5"
    assert main(["extract", "--videos", str(cams), "--detector", "file", "--detections", str(dets), "-o", str(out),
                 "--start-time", "2026-12-03T08:00:00", "--clock-offsets", str(offsets), "-q"]) == 0
    store = TrackletStore(out)
    north, south = store.camera("north"), store.camera("south")
    eight = 1_796_284_800.0  # 2026-12-03 08:00 UTC
    assert north.attrs["start_time"] == eight and south.attrs["start_time"] == eight - 90.5
    first = north.tracklets["first_frame"][0]
    assert north.first_time[0] == pytest.approx(eight + first / north.attrs["fps"])
    assert south.first_time[0] == pytest.approx(eight - 90.5 + south.tracklets["first_frame"][0] / 10.0)


@pytest.mark.parametrize("text, message", [
    ("east: 3\n", "camera 'east' is not among the videos"),
    ("south: soon\n", "camera 'south': 'soon' is not a number of seconds"),
    ("- south\n", "expected a mapping of camera: seconds"),
])
def test_a_bad_offsets_file_gets_one_line_naming_the_entry(tmp_path, capsys, text, message):
    cams, dets, _ = make_world(tmp_path, n_frames=10)
    offsets = tmp_path / "offsets.yaml"
    offsets.write_text(text)
    assert main(["extract", "--videos", str(cams), "--detector", "file", "--detections", str(dets), "-o",
                 str(tmp_path / "t.h5"), "--clock-offsets", str(offsets), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_a_bad_start_time_gets_one_line(tmp_path, capsys):
    cams, dets, _ = make_world(tmp_path, n_frames=10)
    assert main(["extract", "--videos", str(cams), "--detector", "file", "--detections", str(dets), "-o",
                 str(tmp_path / "t.h5"), "--start-time", "yesterday", "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--start-time 'yesterday'" in err


def test_a_store_without_times_is_matched_by_appearance_and_says_so(tmp_path):
    path = _store(tmp_path / "bench.h5", {"a": (0.0, 0.0, [(0, 3)]), "b": (0.0, 0.0, [(0, 3)])})
    with StoreWriter(path) as w:
        w.set_attrs(benchmark="market1501")  # as `pipeline import` marks its stores
    index = TrackletIndex.from_store(TrackletStore(path))
    assert not index.frames_are_time and index.first_time is None
    with pytest.warns(UserWarning, match="no times .* appearance alone"):
        ids = match_cameras(torch.ones(2, 4), index, MatchConfig(distance_cut="none"))
    assert ids.labels[0] == ids.labels[1]  # seen "at once" by frame numbers, and still linked
