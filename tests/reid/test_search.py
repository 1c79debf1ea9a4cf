"""pipeline search: a tracklet or an image against every camera, with the index kept beside the store."""
from __future__ import annotations

import csv

import cv2
import numpy as np

from pipeline.cli import main
from pipeline.search import run_search
from reid.search.query import index_path
from tests.helpers import write_reid_store
from tracking.store import TrackletStore


def test_tracklet_query_finds_its_person_in_other_cameras(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=2)
    first = run_search(str(store), "colour", None, "cam1:4", top=5, quiet=True)  # tracklet 4 = identity 2
    assert first["index_built"] and index_path(TrackletStore(store), "colour").is_file()
    st = TrackletStore(store)
    gt = {(c, t): int(st.camera(c).gt_identity[t]) for c in st.cameras for t in range(st.camera(c).num_tracklets)}
    top = [(h["camera"], h["tracklet"]) for h in first["hits"]]
    assert ("cam1", 4) not in top  # the query itself is left out
    assert all(gt[k] == 2 for k in top[:5])  # its other fragment and its four in the other cameras
    again = run_search(str(store), "colour", None, "cam1:4", top=5, quiet=True)
    assert not again["index_built"] and again["hits"] == first["hits"]  # read from the index, same answer

    assert main(["search", str(store), "--model", "colour", "--tracklet", "cam1:4", "--top", "3", "-o",
                 str(tmp_path / "out")]) == 0
    assert "index read" in capsys.readouterr().out
    with open(tmp_path / "out" / "search.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    assert "<img" in (tmp_path / "out" / "search.html").read_text()
    assert main(["search", str(store), "--model", "colour", "--tracklet", "cam1:4", "--top", "3", "-o",
                 str(tmp_path / "blurred"), "--blur-faces", "-q"]) == 0
    assert (tmp_path / "blurred" / "search.html").read_text() != (tmp_path / "out" / "search.html").read_text()


def test_index_follows_the_store_and_the_model(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=3)
    p1 = index_path(TrackletStore(store), "colour")
    run_search(str(store), "colour", None, "cam1:0", quiet=True)
    store.unlink()
    write_reid_store(store, cameras=2, identities=4)  # another store at the same path
    assert index_path(TrackletStore(store), "colour") != p1
    assert run_search(str(store), "colour", None, "cam1:0", quiet=True)["index_built"]
    spec = f"imagenet:resnet18:{tmp_path / 'w.pt'}"
    import torch
    import torchvision

    torch.save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "w.pt")
    assert index_path(TrackletStore(store), spec) != index_path(TrackletStore(store), "colour")
    from reid.models.embedding_config import EmbedConfig

    # other embedding flags make other features: never the same index; where it runs does not matter
    st = TrackletStore(store)
    assert index_path(st, "colour", EmbedConfig(frames=4)) != index_path(st, "colour")
    assert index_path(st, "colour", EmbedConfig(camera_norm=True)) != index_path(st, "colour")
    assert index_path(st, "colour", EmbedConfig(device="cpu")) == index_path(st, "colour")


def test_image_query_goes_through_the_crop_path(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=2)
    st = TrackletStore(store)
    crop = st.tracklet_crops("cam2", 6)[1]  # identity 3
    img = tmp_path / "person.png"
    cv2.imwrite(str(img), cv2.resize(crop, (50, 100))[:, :, ::-1])  # another size than the store's crops
    res = run_search(str(store), "colour", str(img), None, top=3, out=str(tmp_path / "o"), quiet=True)
    ids = [int(st.camera(h["camera"]).gt_identity[h["tracklet"]]) for h in res["hits"]]
    assert ids[0] == 3 and np.mean(np.array(ids) == 3) >= 2 / 3
    assert (tmp_path / "o" / "search.html").is_file()


def test_bad_queries_are_one_line(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2)
    for q, msg in ((["--tracklet", "cam1"], "write CAMERA:ID"), (["--tracklet", "cam9:0"], "no camera 'cam9'"),
                   (["--tracklet", "cam1:99"], "has tracklets 0.."), (["--image", str(tmp_path / "none.png")],
                                                                       "not an image")):
        assert main(["search", str(store), "--model", "colour", *q, "-q"]) == 1
        assert msg in capsys.readouterr().err


def test_hits_carry_a_calibrated_same_person_probability_and_forget_takes_one(tmp_path, capsys):
    """The probability is fitted on the store's own cross-camera matches (no labels): the query's
    person above the marked cut, everybody else below; forget by probability removes that person."""
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=8, tracklets_per_id=2)
    result = run_search(str(store), "colour", None, "cam1:4", top=12, quiet=True)  # identity 2
    st = TrackletStore(store)
    gt = {(c, t): int(st.camera(c).gt_identity[t]) for c in st.cameras for t in range(st.camera(c).num_tracklets)}
    p_same = [h["probability"] for h in result["hits"] if gt[(h["camera"], h["tracklet"])] == 2]
    p_other = [h["probability"] for h in result["hits"] if gt[(h["camera"], h["tracklet"])] != 2]
    assert len(p_same) == 5 and min(p_same) >= 0.5 and max(p_other) < 0.5
    assert main(["search", str(store), "--model", "colour", "--tracklet", "cam1:4", "--top", "8"]) == 0
    out = capsys.readouterr().out
    assert "P(same)" in out and "below: probably not the same person" in out
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "cam1:4", "--min-probability", "0.5",
                 "--dry-run"]) == 0
    assert "6 tracklet(s) at least 0.5 probably the same person" in capsys.readouterr().out
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "cam1:4", "--min-probability", "2"]) == 1
    assert "--min-probability 2.0" in capsys.readouterr().err
