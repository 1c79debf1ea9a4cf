"""export-dataset: a store's tracklets as a Market-1501 or MARS training set, read back by import."""
from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from pipeline.cli import main
from reid.tracklet_index import TrackletIndex
from tests.helpers import write_reid_store
from tracking.store import TrackletStore


def _tracklets(store_path) -> dict:
    """(identity, camera number, first crop pixels' hash) -> crops (at 64 x 32), for comparing
    stores whose camera names and tracklet order differ."""
    st = TrackletStore(store_path)
    idx = TrackletIndex.from_store(st)
    out = {}
    for g in range(idx.num_tracklets):
        cam = idx.cameras[idx.camera_of[g]]
        crops = st.tracklet_crops(cam, int(idx.local_of[g]))
        small = np.stack([cv2.resize(c, (32, 64), interpolation=cv2.INTER_AREA) for c in crops]).astype(np.float32)
        out[(int(idx.gt[g]), idx.camera_of[g] + 1, len(crops))] = small
    return out


@pytest.mark.parametrize("layout", ["mars", "market1501"])
def test_round_trip(tmp_path, layout, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=4, tracklets_per_id=2)
    out = tmp_path / "set"
    assert main(["export-dataset", str(store), "-o", str(out), "--layout", layout, "-q"]) == 0
    assert "24 tracklets, 96 images, 24 identities" in capsys.readouterr().out
    assert (out / "cameras.txt").read_text().splitlines() == ["1 cam1", "2 cam2", "3 cam3"]
    back = tmp_path / "back.h5"
    assert main(["import", layout, str(out), "-o", str(back), "-q"]) == 0
    a, b = TrackletIndex.from_store(TrackletStore(store)), TrackletIndex.from_store(TrackletStore(back))
    assert b.num_tracklets == a.num_tracklets == 24
    assert b.cameras == a.cameras == ["cam1", "cam2", "cam3"]  # cameras.txt keeps their names
    assert sorted(b.crop_count.tolist()) == sorted(a.crop_count.tolist())
    # identity g + 1 is tracklet g: the same crops come back in the same tracklet and camera
    src = TrackletStore(store)
    got = _tracklets(back)
    for g in range(a.num_tracklets):
        cam = a.cameras[a.camera_of[g]]
        want = src.tracklet_crops(cam, int(a.local_of[g])).astype(np.float32)
        have = got[(g + 1, a.camera_of[g] + 1, len(want))]
        assert np.abs(have - want).mean() < 8  # JPEG at 256 x 128 and back: small differences only


def test_export_with_match_identities_and_refusals(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=3, tracklets_per_id=2)
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "m"), "--baseline", "none",
                 "-q"]) == 0
    with open(tmp_path / "m" / "global_ids.csv") as fh:
        n_ids = len({r["global_id"] for r in csv.DictReader(fh)})
    out = tmp_path / "set"
    assert main(["export-dataset", str(store), "-o", str(out), "--labels", str(tmp_path / "m" / "global_ids.csv"),
                 "-q"]) == 0
    assert f"{n_ids} identities" in capsys.readouterr().out
    back = tmp_path / "back.h5"
    assert main(["import", "mars", str(out), "-o", str(back), "-q"]) == 0
    idx = TrackletIndex.from_store(TrackletStore(back))
    assert idx.num_tracklets == 12 and len(np.unique(idx.gt)) == n_ids
    # the output exists now: refused, never merged into
    assert main(["export-dataset", str(store), "-o", str(out), "-q"]) == 1
    assert "exists already" in capsys.readouterr().err
    # labels of another store
    other = write_reid_store(tmp_path / "o.h5", cameras=2, identities=5, tracklets_per_id=2)
    assert main(["export-dataset", str(other), "-o", str(tmp_path / "x"), "--labels",
                 str(tmp_path / "m" / "global_ids.csv"), "-q"]) == 1
    assert "have no label" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()


def test_mars_names_cannot_hold_ten_cameras(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=10, identities=1, tracklets_per_id=1)
    assert main(["export-dataset", str(store), "-o", str(tmp_path / "set"), "-q"]) == 1
    assert "cameras 10 > 9" in capsys.readouterr().err and not (tmp_path / "set").exists()
    assert main(["export-dataset", str(store), "-o", str(tmp_path / "set"), "--layout", "market1501", "-q"]) == 0


def test_a_malformed_cameras_file_is_one_line(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2, tracklets_per_id=1)
    out = tmp_path / "set"
    assert main(["export-dataset", str(store), "-o", str(out), "--layout", "market1501", "-q"]) == 0
    (out / "cameras.txt").write_text("1 cam1\ntwo cam2\n")
    capsys.readouterr()
    assert main(["import", "market1501", str(out), "-o", str(tmp_path / "b.h5"), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cameras.txt, line 2" in err
