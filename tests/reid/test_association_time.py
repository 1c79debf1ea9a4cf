"""Merge and match where frame numbers are not video time (imported benchmarks), on a MARS-shaped
fixture: the time veto must not cut what it knows nothing about."""
from __future__ import annotations

import json

import numpy as np
from scipy.io import savemat

from pipeline.cli import main
from reid.association.merge import merge_tracklets
from reid.models.embedding import embed_store
from reid.tracklet_index import TrackletIndex
from tests.reid.test_benchmarks import img
from tracking.store import TrackletStore


def make_mars_fragments(root, people=4, cameras=2, fragments=3, frames=3):
    """Every person leaves ``fragments`` tracklets in each camera; MARS numbers frames inside each
    tracklet (F001, F002, ...), so every tracklet's span is 1..frames."""
    names, info = [], []
    t = 0
    for pid in range(1, people + 1):
        for cam in range(1, cameras + 1):
            for _ in range(fragments):
                t += 1
                start = len(names) + 1
                for f in range(1, frames + 1):
                    n = f"{pid:04d}C{cam}T{t:04d}F{f:03d}.jpg"
                    img(root / "bbox_train" / n[:4] / n, pid * 3)
                    names.append(n)
                info.append([start, len(names), pid, cam])
    test = "0099C1T9999F001.jpg"
    img(root / "bbox_test" / test[:4] / test, 99)
    (root / "info").mkdir(parents=True)
    (root / "info" / "train_name.txt").write_text("\n".join(names) + "\n")
    (root / "info" / "test_name.txt").write_text(test + "\n")
    savemat(root / "info" / "tracks_train_info.mat", {"track_train_info": np.array(info)})
    savemat(root / "info" / "tracks_test_info.mat", {"track_test_info": np.array([[1, 1, 99, 1]])})
    savemat(root / "info" / "query_IDX.mat", {"query_IDX": np.array([[1]])})


def test_mars_shaped_store_merges(tmp_path, capsys):
    make_mars_fragments(tmp_path / "mars")
    store = tmp_path / "mars.h5"
    assert main(["import", "mars", str(tmp_path / "mars"), "-o", str(store), "-q"]) == 0
    st = TrackletStore(store)
    assert not st.frames_are_time
    idx = TrackletIndex.from_store(st)
    assert idx.num_tracklets == 24 and (idx.first_frame == idx.first_frame[0]).all()  # every span is the same

    # with the veto, as if frames were time, every link would be cut and nothing merged
    tf = embed_store(st, "colour", index=idx)
    sl = idx.camera_slices[0]
    vetoed = merge_tracklets(tf.features[sl], idx.first_frame[sl], idx.last_frame[sl], k=4, threshold=0.5)
    assert vetoed.summary()["mergeable"] == 0 and vetoed.cut_links > 0

    capsys.readouterr()
    assert main(["merge", str(store), "--model", "colour", "-o", str(tmp_path / "m"), "--baseline", "none"]) == 0
    out = capsys.readouterr().out
    assert "all (Table 6)" in out and "compares with the paper's Table 6" in out
    res = json.loads((tmp_path / "m" / "merge.json").read_text())
    assert sum(c["mergeable"] for c in res["cameras"]) == 24  # the three fragments of each person join
    assert sum(c["long_trajectories"] for c in res["cameras"]) == 8
    assert all(c["links_cut_for_time_overlap"] == 0 for c in res["cameras"])
    assert res["nmi"] == 1.0 and res["nmi_mean_per_camera"] == 1.0
    assert res["nmi_identity"] < 1.0  # a person is one trajectory per camera: two groups, one identity

    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "g"), "--baseline", "none",
                 "-q"]) == 0
    g = json.loads((tmp_path / "g" / "match.json").read_text())
    assert g["global_identities"] == 4 and g["links_refused_time_overlap"] == 0
    assert g["cross_camera_precision"] == 1.0 and g["cross_camera_recall"] == 1.0


def test_one_tracklet_per_person_and_camera(tmp_path, capsys):
    """Table 7's setting: the importer keeps one training tracklet per person and camera."""
    make_mars_fragments(tmp_path / "mars")
    store = tmp_path / "one.h5"
    assert main(["import", "mars", str(tmp_path / "mars"), "-o", str(store), "--one-per-camera", "-q"]) == 0
    assert "24 -> 8" in capsys.readouterr().out
    st = TrackletStore(store)
    idx = TrackletIndex.from_store(st)
    pairs = {(int(g), int(c)) for g, c in zip(idx.gt, idx.camera_of)}
    assert idx.num_tracklets == 8 and len(pairs) == 8


def test_the_overlap_sweep_of_large_sets_agrees_with_every_pair():
    """Sets too large to compare pair by pair are swept in time order: the same answer, with and
    without cameras that watch one place (their members may be seen at once)."""
    from reid.association.union_find import TimedUnionFind

    rng = np.random.default_rng(0)
    seen = set()
    coexist = np.zeros((4, 4), bool)
    coexist[0, 1] = coexist[1, 0] = True
    for trial in range(300):
        n = 400
        first = rng.uniform(0, 10_000, n)
        last = first + rng.exponential((0.05, 5.0, 40.0)[trial % 3], n)
        cams = rng.integers(0, 4, n)
        shared = trial % 2 == 1
        uf = TimedUnionFind(first, last, camera_of=cams, coexist=coexist if shared else None)
        a = rng.choice(n, 150, replace=False)
        b = np.setdiff1d(np.arange(n), a)[:120]
        both = (first[a][:, None] <= last[b][None, :]) & (first[b][None, :] <= last[a][:, None])
        if shared:
            both &= ~coexist[cams[a][:, None], cams[b][None, :]]
        brute = bool(both.any())
        assert uf._sweep_overlaps(a, b) == brute == uf._sweep_overlaps(b, a)
        seen.add((shared, brute))
    assert seen == {(False, True), (False, False), (True, True), (True, False)}
