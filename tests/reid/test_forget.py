"""pipeline forget: removes what it should and nothing else; a SIGKILL never leaves a broken store."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import numpy as np

from pipeline.cli import main
from reid.tracklet_index import TrackletIndex
from tests.conftest import ROOT
from tests.helpers import write_reid_store
from tracking.store import TrackletStore


def _people(path) -> dict:
    st = TrackletStore(path)
    idx = TrackletIndex.from_store(st)
    return {(idx.cameras[c], int(st.camera(idx.cameras[c]).tracklets["track_id"][t])): int(g)
            for c, t, g in zip(idx.camera_of, idx.local_of, idx.gt)}


def test_forget_removes_one_person_everywhere_and_nothing_else(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=2)
    before = _people(store)
    assert main(["search", str(store), "--model", "colour", "--tracklet", "cam1:4", "-q"]) == 0  # leaves an index
    assert list(tmp_path.glob("s.h5.search-*.npz"))
    crop_before = TrackletStore(store).tracklet_crops("cam2", 0)
    # person 2's tracklets lie within 1.18 of the query, everyone else's beyond 1.30 (this seeded store)
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "cam1:4", "--max-distance", "1.25",
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "6 tracklet(s)" in out and "dry run" in out and _people(store) == before
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "cam1:4", "--max-distance", "1.25",
                 "-q"]) == 0
    after = _people(store)
    assert sorted(set(before.values()) - set(after.values())) == [2]  # person 2 is gone
    assert {k: v for k, v in before.items() if v != 2} == after  # everyone else is still there
    log = (tmp_path / "s.h5.forget.log").read_text().splitlines()
    assert len(log) == 6 and all("removed cam" in line for line in log)
    assert not list(tmp_path.glob("s.h5.search-*.npz"))  # the index held the person's features
    assert np.array_equal(TrackletStore(store).tracklet_crops("cam2", 0), crop_before)  # crops copied as they were
    assert main(["inspect", str(store), "--verify"]) == 0


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigkill_during_forget_leaves_the_store_unchanged(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", cameras=4, identities=30, tracklets_per_id=3, crops=12,
                             crop_hw=(128, 64))
    want = _digest(store)
    argv = [sys.executable, "-m", "pipeline", "forget", str(store), "--model", "colour", "--tracklet", "cam1:0",
            "--max-distance", "0.5", "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    partial = tmp_path / "s.h5.forget-partial"
    killed_mid_write = False
    for _ in range(20):
        p = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        while p.poll() is None and not partial.exists() and time.perf_counter() - t0 < 60:
            time.sleep(0.001)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        if p.returncode == -signal.SIGKILL:
            killed_mid_write = killed_mid_write or partial.exists()
            assert _digest(store) == want  # untouched
            TrackletStore(store).camera("cam1")  # and readable
            if killed_mid_write:
                break
        else:  # it finished before the kill: the store changed completely; start again from a fresh copy
            store.unlink()
            write_reid_store(store, cameras=4, identities=30, tracklets_per_id=3, crops=12, crop_hw=(128, 64))
            want = _digest(store)
    assert killed_mid_write, "never caught forget while it was writing"
    # the next run cleans up the partial file and finishes
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "cam1:0", "--max-distance", "0.5",
                 "-q"]) == 0
    assert not partial.exists() and _digest(store) != want
