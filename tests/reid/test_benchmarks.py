"""Importers on tiny fixtures that mimic each benchmark's real layout and naming."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from pipeline.cli import main
from reid.datasets import FORMATS
from tracking.store import TrackletStore


def img(path, pid=0, cam=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.zeros((16, 8, 3), np.uint8)
    a[:8] = (pid * 37) % 255
    a[8:] = (pid * 91 + cam * 13) % 255
    cv2.imwrite(str(path), a)


def make_market(root):
    for pid, cam, n in ((2, 1, 2), (2, 3, 1), (7, 2, 2)):
        for k in range(n):
            img(root / "bounding_box_train" / f"{pid:04d}_c{cam}s1_{100 + k:06d}_0{k}.jpg", pid, cam)
    for pid, cam in ((11, 1), (12, 2)):
        img(root / "query" / f"{pid:04d}_c{cam}s2_000200_00.jpg", pid, cam)
    for name in ("0011_c2s1_000300_01.jpg", "0012_c3s1_000301_01.jpg", "-1_c1s1_000001_00.jpg",
                 "0000_c1s1_000002_00.jpg"):
        img(root / "bounding_box_test" / name)


def make_duke(root):
    for name in ("0001_c1_f0000100.jpg", "0001_c1_f0000220.jpg", "0001_c2_f0000500.jpg", "0003_c5_f0001000.jpg"):
        img(root / "bounding_box_train" / name)
    img(root / "query" / "0005_c1_f0002000.jpg")
    for name in ("0005_c2_f0002500.jpg", "0006_c1_f0003000.jpg"):
        img(root / "bounding_box_test" / name)


def make_msmt(root):
    train = ["0000/0000_000_01_0303morning_0015_0.jpg 0", "0000/0000_001_01_0303morning_0016_0.jpg 0",
             "0001/0001_000_05_0303noon_0200_1.jpg 1"]
    val = ["0002/0002_000_03_0303noon_0300_0.jpg 2"]
    query = ["0000/0000_000_02_0113morning_0010_0.jpg 0"]
    gallery = ["0000/0000_005_07_0113noon_0500_0.jpg 0", "0001/0001_002_02_0113noon_0600_0.jpg 1"]
    for folder, lines in (("train", train + val), ("test", query + gallery)):
        for line in lines:
            img(root / folder / line.split()[0])
    for name, lines in (("train", train), ("val", val), ("query", query), ("gallery", gallery)):
        (root / f"list_{name}.txt").write_text("\n".join(lines) + "\n")


def make_cuhk03_mat(root):
    names = ["1_001_1_01.png", "1_001_2_06.png", "1_002_1_01.png", "1_002_2_07.png", "2_003_1_02.png",
             "2_003_2_08.png"]
    for n in names:
        img(root / "images_labeled" / n)
    filelist = np.empty((len(names), 1), dtype=object)
    for i, n in enumerate(names):
        filelist[i, 0] = np.array([n])
    savemat(root / "cuhk03_new_protocol_config_labeled.mat", {
        "filelist": filelist, "labels": np.array([[1], [1], [2], [2], [3], [3]]),
        "camId": np.array([[1], [2], [1], [2], [1], [2]]), "train_idx": np.array([[1], [2], [3], [4]]),
        "query_idx": np.array([[5]]), "gallery_idx": np.array([[6]])})


def make_mars(root):
    names_train = ["0001C1T0001F001.jpg", "0001C1T0001F002.jpg", "0001C2T0002F001.jpg"]
    names_test = ["0003C1T0001F001.jpg", "0003C1T0001F002.jpg", "0003C2T0003F001.jpg", "00-1C3T0004F001.jpg"]
    for n in names_train:
        img(root / "bbox_train" / n[:4] / n)
    for n in names_test:
        img(root / "bbox_test" / n[:4] / n)
    info = root / "info"
    info.mkdir()
    (info / "train_name.txt").write_text("\n".join(names_train) + "\n")
    (info / "test_name.txt").write_text("\n".join(names_test) + "\n")
    savemat(info / "tracks_train_info.mat", {"track_train_info": np.array([[1, 2, 1, 1], [3, 3, 1, 2]])})
    savemat(info / "tracks_test_info.mat", {"track_test_info": np.array([[1, 2, 3, 1], [3, 3, 3, 2], [4, 4, -1, 3]])})
    savemat(info / "query_IDX.mat", {"query_IDX": np.array([[1]])})


def make_duke_video(root):
    for sub, pid, tid, cam in (("train", 1, 1, 1), ("train", 1, 2, 3), ("query", 5, 10, 2), ("gallery", 5, 11, 4),
                               ("gallery", 6, 12, 2)):
        for f in range(3):
            img(root / sub / f"{pid:04d}" / f"{tid:04d}" / f"{pid:04d}_C{cam}_F{f:04d}_X{tid:05d}.jpg", pid, cam)


def make_prid(root):
    for cam, ids in (("cam_a", range(1, 6)), ("cam_b", list(range(1, 6)) + [300])):
        for pid in ids:
            n = 25 if pid != 3 else 10  # person 3 too short in both: dropped
            for f in range(n):
                img(root / "prid_2011" / "multi_shot" / cam / f"person_{pid:04d}" / f"{f + 1:04d}.png", pid)


def make_ilids(root):
    for cam in ("cam1", "cam2"):
        for pid in (1, 2, 4, 7):
            for f in range(3):
                img(root / "i-LIDS-VID" / "sequences" / cam / f"person{pid:03d}" / f"{cam}_person{pid:03d}_{f:05d}.png")


CASES = {
    "market1501": (make_market, {"train": 3, "query": 2, "gallery": 4}),
    "dukemtmc-reid": (make_duke, {"train": 3, "query": 1, "gallery": 2}),
    "msmt17": (make_msmt, {"train": 3, "query": 1, "gallery": 2}),
    "cuhk03-labeled": (make_cuhk03_mat, {"train": 4, "query": 1, "gallery": 1}),
    "mars": (make_mars, {"train": 2, "query": 1, "gallery": 2}),
    "dukemtmc-videoreid": (make_duke_video, {"train": 2, "query": 1, "gallery": 2}),
    "dukemtmc-si-tracklet": (make_duke_video, {"train": 2, "query": 1, "gallery": 2}),
    "prid2011": (make_prid, {"test": 8}),
    "ilids-vid": (make_ilids, {"test": 8}),
}
ROLE = {0: "train", 1: "query", 2: "gallery", 3: "test"}


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_importer_reads_layout(fmt, tmp_path, capsys):
    make, expected = CASES[fmt]
    root = tmp_path / fmt
    root.mkdir()
    make(root)
    out = tmp_path / f"{fmt}.h5"
    assert main(["import", fmt, str(root), "-o", str(out), "-q"]) == 0
    s = TrackletStore(out)
    counts: dict[str, int] = {}
    for c in s.cameras:
        for r in s.camera(c).tracklet_set:
            counts[ROLE[int(r)]] = counts.get(ROLE[int(r)], 0) + 1
    assert counts == expected
    assert s.attrs["benchmark"] == fmt or s.attrs["benchmark"].startswith(fmt.split("-")[0])


def test_market_quirks_and_evaluate(tmp_path, capsys):
    root = tmp_path / "m"
    make_market(root)
    bench = FORMATS["market1501"](root)
    train = [i for i in bench.items if i.tracklet_set == 0]
    assert sorted((i.pid, i.cam, len(i.paths)) for i in train) == [(2, 1, 2), (2, 3, 1), (7, 2, 2)]
    gallery_pids = sorted(i.pid for i in bench.items if i.tracklet_set == 2)
    assert gallery_pids == [-1, 0, 11, 12] and bench.junk_ids == (-1,)
    out = tmp_path / "m.h5"
    assert main(["import", "market1501", str(root), "-o", str(out), "-q"]) == 0
    assert "market1501: 9 tracklets" in capsys.readouterr().out
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["queries"] == 2 and res["gallery"] == 4 and res["num_queries"] == 2
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--json", "--rerank"]) == 0
    rr = json.loads(capsys.readouterr().out)
    assert rr["reranked"] is True and rr["num_queries"] == 2
    assert main(["import", "market1501", str(root), "-o", str(out), "-q"]) == 1
    assert "exists already" in capsys.readouterr().err


def test_prid_splits_are_seeded_and_saved(tmp_path, capsys):
    make_prid(tmp_path / "p")
    out = tmp_path / "p.h5"
    assert main(["import", "prid2011", str(tmp_path / "p"), "-o", str(out), "-q"]) == 0
    assert "10 splits saved" in capsys.readouterr().out
    splits = TrackletStore(out).attrs["splits"]  # JSON attributes come back parsed
    assert len(splits) == 10 and all(sorted(s["train"] + s["test"]) == [1, 2, 4, 5] for s in splits)
    assert FORMATS["prid2011"](tmp_path / "p").splits == splits  # seeded: the same every time
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--json"]) == 1
    assert "--split" in capsys.readouterr().err
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--split", "3", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["queries"] == 2
    # --split all: the mean over the 10 splits, each split's numbers beside it
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--split", "all", "--json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert every["splits"] == 10 and len(every["per_split"]) == 10
    assert every["per_split"][3]["mAP"] == pytest.approx(one["mAP"])
    assert every["mAP"] == pytest.approx(np.mean([p["mAP"] for p in every["per_split"]]))
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--split", "all"]) == 0
    assert "mean" in capsys.readouterr().out
    assert main(["evaluate", "--model", "colour", "--data", str(out), "--split", "x"]) == 1
    assert "--split 'x'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt,missing", [("market1501", "bounding_box_train"), ("mars", "info/train_name.txt"),
                                         ("msmt17", "list_train.txt"), ("prid2011", "multi_shot/cam_a"),
                                         ("cuhk03-labeled", "cuhk03_new_protocol_config_labeled.mat")])
def test_wrong_layout_names_what_is_missing(fmt, missing, tmp_path, capsys):
    root = tmp_path / "wrong"
    (root / "something").mkdir(parents=True)
    assert main(["import", fmt, str(root), "-o", str(tmp_path / "x.h5"), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and missing in err and "Traceback" not in err


def test_learn_uses_only_training_tracklets(tmp_path, capsys):
    from tests.reid.test_learn import FAST

    make_prid(tmp_path / "p")
    out = tmp_path / "p.h5"
    assert main(["import", "prid2011", str(tmp_path / "p"), "-o", str(out), "-q"]) == 0
    assert main(["learn", str(out), "-o", str(tmp_path / "m0"), "--epochs", "1", *FAST]) == 1
    assert "--split" in capsys.readouterr().err
    assert main(["learn", str(out), "-o", str(tmp_path / "m"), "--epochs", "1", "--split", "2", *FAST]) == 0
    assert "4 tracklets" in capsys.readouterr().out  # 2 training identities x 2 cameras
    make_market(tmp_path / "mk")
    mk = tmp_path / "mk.h5"
    assert main(["import", "market1501", str(tmp_path / "mk"), "-o", str(mk), "-q"]) == 0
    assert main(["learn", str(mk), "-o", str(tmp_path / "mm"), "--epochs", "1", *FAST]) == 0
    assert "3 tracklets" in capsys.readouterr().out  # the training set only, never query or gallery


def test_a_model_learned_on_one_split_is_scored_on_that_split_only(tmp_path, capsys):
    make_prid(tmp_path / "p")
    out = tmp_path / "p.h5"
    assert main(["import", "prid2011", str(tmp_path / "p"), "-o", str(out), "-q"]) == 0
    model = tmp_path / "m"
    assert main(["learn", str(out), "-o", str(model), "--split", "3", "--epochs", "1", "--backbone", "resnet18",
                 "--pretrained", "none", "--input-size", "64x32", "--embed-dim", "16", "--batch-size", "4", "-q"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), "--data", str(out), "--split", "3", "--json"]) == 0
    capsys.readouterr()
    for other in ("4", "all"):
        assert main(["evaluate", "--model", str(model), "--data", str(out), "--split", other, "--json"]) == 1
        assert "split 3" in capsys.readouterr().err
