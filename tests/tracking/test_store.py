from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from pipeline.cli import main
from tests.helpers import write_store
from tracking.store import StoreError, StoreWriter, TrackletStore


@pytest.mark.parametrize("encoding", ["jpeg", "raw"])
def test_roundtrip(tmp_path, encoding):
    path = tmp_path / "s.h5"
    rng = np.random.default_rng(1)
    smooth = np.zeros((4, 32, 16, 3), np.uint8)
    smooth[:, :16] = [200, 30, 30]
    smooth[:, 16:] = [20, 40, 220]
    with StoreWriter(path, crop_hw=(32, 16), encoding=encoding) as w:
        cam = w.camera("north", fps=7.0, source=["a.avi"])
        cam.add_tracklet(smooth[:3], [5, 6, 8], rng.random((3, 4)) * 100, [0.5, 0.6, 0.7], 11, gt_identity=4)
        cam.add_tracklet(smooth[3:], [9], [[1, 2, 3, 4]], [0.9], 12, gt_identity=5)
        cam.finish()
    with TrackletStore(path) as s:
        assert s.cameras == ["north"]
        c = s.camera("north")
        assert c.num_tracklets == 2 and c.num_crops == 4
        assert c.tracklets["first_frame"].tolist() == [5, 9]
        assert c.tracklets["last_frame"].tolist() == [8, 9]
        assert c.tracklets["track_id"].tolist() == [11, 12]
        assert c.gt_identity.tolist() == [4, 5]
        assert c.attrs["source"] == ["a.avi"] and c.attrs["fps"] == 7.0
        got = s.tracklet_crops("north", 0)
        tol = 0 if encoding == "raw" else 3  # JPEG: small mean error (chroma blurs the edge)
        assert got.shape == (3, 32, 16, 3)
        assert np.abs(got.astype(int) - smooth[:3]).mean() <= tol
        assert np.abs(s.crop("north", 3).astype(int) - smooth[3]).mean() <= tol


def test_store_pickles_for_workers(tmp_path):
    path = write_store(tmp_path / "s.h5")
    s = TrackletStore(path)
    a = s.crop("c1", 2)
    s2 = pickle.loads(pickle.dumps(s))
    assert s2._f is None
    assert np.array_equal(s2.crop("c1", 2), a)


def test_append_second_camera_and_replace_incomplete(tmp_path):
    path = write_store(tmp_path / "s.h5", {"a": [2]})
    with StoreWriter(path) as w:
        assert w.complete_cameras() == ["a"]
        w.camera("b").add_tracklet(np.zeros((1, 32, 16, 3), np.uint8), [0], [[0, 0, 1, 1]], [1], 1)
    s = TrackletStore(path)
    assert s.all_cameras == ["a", "b"] and s.cameras == ["a"]
    with StoreWriter(path) as w:
        cam = w.camera("b")  # the incomplete one is dropped and restarted
        assert cam.num_tracklets == 0
        cam.finish()
        with pytest.raises(StoreError, match="already complete"):
            w.camera("a")
    assert TrackletStore(path).cameras == ["a", "b"]


def test_copy_camera_from_part(tmp_path):
    part = write_store(tmp_path / "part.h5", {"x": [2, 3]}, crop_hw=(256, 128))
    main_path = tmp_path / "main.h5"
    with StoreWriter(main_path) as w:
        w.copy_camera_from(part, "x")
    s = TrackletStore(main_path)
    assert s.cameras == ["x"] and s.camera("x").num_crops == 5


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err, path):
    lines = [l for l in err.strip().splitlines() if l]
    assert len(lines) == 1, err
    assert str(path) in lines[0] and "Traceback" not in err
    return lines[0]


def test_inspect_ok_and_json(tmp_path, capsys):
    path = write_store(tmp_path / "s.h5")
    code, out, _ = _cli(capsys, "inspect", str(path))
    assert code == 0 and "c1" in out and "total" in out
    code, out, _ = _cli(capsys, "inspect", str(path), "--json")
    import json

    s = json.loads(out)
    assert s["total"] == {"cameras": 2, "complete_cameras": 2, "tracklets": 3, "crops": 12,
                          "frames_min": 3, "frames_median": 4.0, "frames_max": 5}
    assert s["crop_encoding"] == "jpeg" and s["cameras"][0]["ground_truth"] is True


def test_missing_path(tmp_path, capsys):
    p = tmp_path / "nope.h5"
    code, _, err = _cli(capsys, "inspect", str(p))
    assert code != 0 and "no such file" in _one_line_error(err, p)


def test_not_hdf5(tmp_path, capsys):
    p = tmp_path / "text.h5"
    p.write_text("hello, not hdf5\n" * 100)
    code, _, err = _cli(capsys, "inspect", str(p))
    assert code != 0 and "not an HDF5 file" in _one_line_error(err, p)


def test_foreign_schema_and_newer_version(tmp_path, capsys):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f.attrs["schema"] = "somebody-else"
        f["x"] = np.arange(3)
    code, _, err = _cli(capsys, "inspect", str(p))
    assert code != 0 and "another kind" in _one_line_error(err, p)
    p2 = tmp_path / "plain.h5"
    with h5py.File(p2, "w") as f:
        f["x"] = np.arange(3)
    code, _, err = _cli(capsys, "inspect", str(p2))
    assert code != 0 and "another kind" in _one_line_error(err, p2)
    with pytest.raises(StoreError, match="another kind"):
        StoreWriter(p2)  # never overwrite someone else's file
    p3 = write_store(tmp_path / "new.h5")
    with h5py.File(p3, "a") as f:
        f.attrs["version"] = 99
    code, _, err = _cli(capsys, "inspect", str(p3))
    assert code != 0 and "newer" in _one_line_error(err, p3)


def test_truncated_file(tmp_path, capsys):
    p = write_store(tmp_path / "s.h5", {"a": [50, 50]}, crop_hw=(64, 32))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    code, _, err = _cli(capsys, "inspect", str(p))
    assert code != 0 and "truncated" in _one_line_error(err, p)


def test_killed_writer_leaves_camera_incomplete(tmp_path, capsys):
    """A writer killed (SIGKILL) mid-camera: the finished camera reads, the other is incomplete."""
    p = tmp_path / "killed.h5"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        import numpy as np
        sys.path.insert(0, {str(os.getcwd())!r})
        from tracking.store import StoreWriter
        w = StoreWriter({str(p)!r}, crop_hw=(32, 16))
        a = w.camera("done")
        a.add_tracklet(np.zeros((2, 32, 16, 3), np.uint8), [0, 1], np.zeros((2, 4)), [1, 1], 1)
        a.finish()
        b = w.camera("half")
        for i in range(20):
            b.add_tracklet(np.zeros((2, 32, 16, 3), np.uint8), [0, 1], np.zeros((2, 4)), [1, 1], i)
        w._f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert r.returncode == -signal.SIGKILL
    s = TrackletStore(p)
    assert s.cameras == ["done"] and s.all_cameras == ["done", "half"]
    assert not s.is_complete("half")
    code, out, err = _cli(capsys, "inspect", str(p))
    assert code != 0 and "half" in out
    assert "incomplete" in _one_line_error(err, p)
