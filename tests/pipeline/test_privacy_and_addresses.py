"""A user's own site: forget reaches every derived output (nothing under the work folder decodes to
the person afterwards), addresses stay stable (tombstones, --global-id), outputs carry manifests and
never go stale, and render blurs every frame of a track."""
from __future__ import annotations

import json

import cv2
import numpy as np

from pipeline.cli import main
from tests.helpers import write_reid_store
from tracking.store import TrackletStore

FAST = ["--backbone", "mobilenet_v2", "--pretrained", "none", "--embed-dim", "16", "--input-size", "64x32",
        "--batch-size", "24", "--workers", "0", "--epochs", "1", "-q"]


def _person_rows(store, gid_csv, gid: int) -> list[tuple[str, int]]:
    import csv

    with open(gid_csv, newline="") as fh:
        return [(r["camera"], int(r["tracklet"])) for r in csv.DictReader(fh) if int(r["global_id"]) == gid]


def test_forget_a_global_id_leaves_nothing_that_decodes_to_the_person(tmp_path, capsys):
    work = tmp_path / "site"
    work.mkdir()
    store = write_reid_store(work / "s.h5", cameras=2, identities=6, tracklets_per_id=2, crops=6, seed=1)
    assert main(["learn", str(store), "-o", str(work / "model"), *FAST]) == 0
    assert (work / "model" / "checkpoints" / "last.pt").is_file()
    assert main(["match", str(store), "--model", "colour", "-o", str(work / "match"), "-q"]) == 0
    gid_csv = work / "match" / "global_ids.csv"
    manifest = json.loads((work / "match" / "manifest.json").read_text())
    assert manifest["command"] == "match" and "global_ids.csv" in manifest["files"]
    person = _person_rows(store, gid_csv, 1)
    assert len(person) == 4  # one person's two tracklets in each camera (this seeded store)
    assert main(["search", str(store), "--model", "colour", "--global-id", "1", "-o", str(work / "search"), "-q"]) == 0
    assert main(["export-dataset", str(store), "-o", str(work / "export"), "--global-id", "1", "-q"]) == 0
    exported = list((work / "export").rglob("*.jpg"))
    assert exported  # the person alone
    st = TrackletStore(store)
    jpeg = [st.encoded_crop(c, int(i)) for c, t in person for i in st.camera(c).crop_indices(t)]
    pixels = [st.crop(c, int(i)) for c, t in person for i in st.camera(c).crop_indices(t)]
    numbers_before = {(c, t): int(st.camera(c).tracklets["track_id"][t]) for c in st.cameras
                      for t in range(st.camera(c).num_tracklets)}
    st.close()
    from reid.search.query import index_files, read_index

    index = read_index(index_files(store)[0])
    rows = [int(np.flatnonzero((index.camera_of == index.cameras.index(c)) & (index.local_of == t))[0])
            for c, t in person]
    features = index.features[rows]
    import shutil

    shutil.copy(gid_csv, tmp_path / "old_global_ids.csv")  # kept outside the work folder
    capsys.readouterr()

    assert main(["forget", str(store), "--model", "colour", "--global-id", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{len(person)} tracklet(s) of global id 1" in out and "marked stale" in out

    # addresses: every other tracklet keeps its number; the removed ones are tombstones
    st = TrackletStore(store)
    for (c, t), track in numbers_before.items():
        if (c, t) not in person:
            assert int(st.camera(c).tracklets["track_id"][t]) == track
    assert all(st.camera(c).forgotten[t] for c, t in person)
    st.close()
    assert main(["search", str(store), "--model", "colour", "--tracklet", f"{person[0][0]}:{person[0][1]}",
                 "-q"]) == 1
    assert "removed from the store by `pipeline forget`" in capsys.readouterr().err
    assert main(["inspect", str(store), "--verify"]) == 0

    # derived outputs: emptied and marked stale; learn keeps its model, loses its checkpoints
    for name in ("match", "search", "export"):
        m = json.loads((work / name / "manifest.json").read_text())
        assert m["stale"] and "pipeline forget" in m["stale"], name
        assert [p.name for p in (work / name).rglob("*") if p.is_file()] == ["manifest.json"], name
    assert (work / "model" / "model.pt").is_file() and not (work / "model" / "checkpoints" / "last.pt").exists()

    # nothing under the work folder holds the person's crops (bytes or pixels) or features
    for f in work.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        assert not any(j in data for j in jpeg), f
        if f.suffix in (".png", ".jpg"):
            img = cv2.imread(str(f))[:, :, ::-1]
            assert not any(img.shape == p.shape and np.array_equal(img, p) for p in pixels), f
        if f.suffix == ".npz":
            with np.load(f) as z:
                for k in z.files:
                    a = z[k]
                    if a.dtype.kind == "f" and a.ndim == 2 and a.shape[1] == features.shape[1]:
                        near = np.abs(a[:, None, :] - features[None]).max(-1) < 1e-5
                        assert not near.any(), (f, k)
    st = TrackletStore(store)
    for c in st.cameras:
        for i in range(st.camera(c).num_crops):
            assert not any(np.array_equal(st.crop(c, i), p) for p in pixels)

    # a CSV from before the forget cannot give the person's tracklets to anyone: export refuses it
    capsys.readouterr()
    assert main(["export-dataset", str(store), "-o", str(tmp_path / "exp2"), "--labels",
                 str(tmp_path / "old_global_ids.csv"), "-q"]) == 1
    assert "removed by `pipeline forget`" in capsys.readouterr().err and not (tmp_path / "exp2").exists()
    assert main(["match", str(store), "--model", "colour", "-o", str(work / "match"), "-q"]) == 0  # reruns cleanly
    assert not json.loads((work / "match" / "manifest.json").read_text())["stale"]


def test_rerun_removes_the_previous_runs_files_and_refuses_unmanaged_folders(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=2)
    out = tmp_path / "m"
    assert main(["match", str(store), "--model", "colour", "-o", str(out), "-q"]) == 0
    planted = out / "identities" / "999.png"  # as if an earlier run had more identities
    planted.write_bytes(b"x")
    m = json.loads((out / "manifest.json").read_text())
    m["files"].append("identities/999.png")
    (out / "manifest.json").write_text(json.dumps(m))
    assert main(["match", str(store), "--model", "colour", "-o", str(out), "-q"]) == 0
    assert not planted.exists()
    m = json.loads((out / "manifest.json").read_text())
    assert m["inputs"]["store"]["path"] == str(store.resolve()) and m["complete"]
    assert all((out / f).is_file() for f in m["files"])
    # a folder holding our file names with no manifest is refused before any work
    bare = tmp_path / "bare"
    (bare / "identities").mkdir(parents=True)
    (bare / "global_ids.csv").write_text("x")
    capsys.readouterr()
    assert main(["match", str(store), "--model", "colour", "-o", str(bare), "-q"]) == 1
    assert "no manifest.json" in capsys.readouterr().err and (bare / "global_ids.csv").read_text() == "x"


def _video_and_tracks(tmp_path, sampled: bool):
    vids = tmp_path / "videos"
    vids.mkdir()
    w = cv2.VideoWriter(str(vids / "cam1.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (160, 120))
    frames = []
    for f in range(30):
        img = np.zeros((120, 160, 3), np.uint8)
        img[20:100, 40 + f: 80 + f] = 255 * ((np.indices((80, 40)).sum(0) // 4) % 2)[..., None]  # a sharp pattern
        frames.append(img)
        w.write(img)
    w.release()
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    keep = range(0, 30, 7) if sampled else range(30)
    (tracks / "cam1.txt").write_text("".join(f"{f + 1},4,{40 + f},20,40,80,1,-1,-1,-1\n" for f in keep))
    return vids, tracks


def test_render_blurs_heads_between_sampled_boxes_and_says_so(tmp_path, capsys):
    vids, tracks = _video_and_tracks(tmp_path, sampled=True)
    assert main(["render", "--videos", str(vids), "--tracks", str(tracks), "-o", str(tmp_path / "r"),
                 "--blur-faces", "--trail", "0", "-q"]) == 0
    err = capsys.readouterr().err
    assert "interpolating" in err and "boxes on 5 of the 29 frames" in err
    cap = cv2.VideoCapture(str(tmp_path / "r" / "cam1.avi"))
    heads = []
    for f in range(30):
        ok, img = cap.read()
        assert ok
        heads.append(float(img[24:34, 44 + f: 76 + f].std()))  # inside the head region, off the drawn box
    cap.release()
    # the 4-pixel checkerboard (std about 127 when sharp) is smoothed on every frame the track spans
    # (0-28), sampled or not; frame 29 is after its last box
    assert max(heads[:29]) < 40 and heads[29] > 100, heads
    # replacing the blurred render with an unblurred one needs --force
    assert main(["render", "--videos", str(vids), "--tracks", str(tracks), "-o", str(tmp_path / "r"), "-q"]) == 1
    assert "heads blurred" in capsys.readouterr().err
    assert main(["render", "--videos", str(vids), "--tracks", str(tracks), "-o", str(tmp_path / "r"), "--force",
                 "-q"]) == 0
    # --global-id: an id that is not in the tracks is one line
    assert main(["render", "--videos", str(vids), "--tracks", str(tracks), "-o", str(tmp_path / "r2"),
                 "--global-id", "7", "-q"]) == 1
    assert "no box with that id" in capsys.readouterr().err


def test_match_with_extracts_tracks_never_brings_a_forgotten_person_back(tmp_path, capsys):
    """The tracker's own MOT text still holds the person's boxes; relabelling it after forget drops
    them (the tombstone keeps the track id and span) instead of giving them an id of their own."""
    from detection.mot_text import read_mot
    from tests.pipeline.test_extract import make_world

    cams, dets, _ = make_world(tmp_path)
    store, mot = tmp_path / "t.h5", tmp_path / "mot"
    assert main(["extract", "--videos", str(cams), "-o", str(store), "--detector", "file", "--detections", str(dets),
                 "--mot-out", str(mot), "--crop-size", "64x32", "-q"]) == 0
    st = TrackletStore(store)
    row = st.camera("north").tracklets[0]
    track, first, last = int(row["track_id"]), int(row["first_frame"]), int(row["last_frame"])
    kept = int(st.camera("north").tracklets[1]["track_id"])
    st.close()
    assert main(["forget", str(store), "--model", "colour", "--tracklet", "north:0", "--max-distance", "0", "-q"]) == 0
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "m"), "--mot", str(mot), "-q"]) == 0
    before = read_mot(mot / "north.txt")
    after = read_mot(tmp_path / "m" / "mot" / "north.txt")
    gone = before.select((before.ids == track) & (before.frame >= first) & (before.frame <= last))
    assert len(gone) > 20
    boxes_after = {(int(f), tuple(np.round(b, 1))) for f, b in zip(after.frame, after.boxes)}
    assert not any((int(f), tuple(np.round(b, 1))) in boxes_after for f, b in zip(gone.frame, gone.boxes))
    other = before.select(before.ids == kept)
    assert all((int(f), tuple(np.round(b, 1))) in boxes_after for f, b in zip(other.frame, other.boxes))


def test_a_manifest_never_deletes_outside_its_folder(tmp_path):
    """A manifest is data: a path in it that leaves the folder (.., absolute, a link out) is ignored."""
    from tracklet_reid.manifest import FORMAT, MANIFEST, mark_stale, remove_listed

    out, outside = tmp_path / "out", tmp_path / "keep.txt"
    out.mkdir()
    outside.write_text("mine")
    (out / "link").symlink_to(outside)
    (out / "ours.csv").write_text("x")
    data = {"format": FORMAT, "command": "match", "files": ["../keep.txt", str(outside), "link", "ours.csv"]}
    (out / MANIFEST).write_text(json.dumps(data))
    assert remove_listed(out, data) == 1 and outside.read_text() == "mine" and not (out / "ours.csv").exists()
    (out / "ours.csv").write_text("x")
    mark_stale(out, "test")
    assert outside.read_text() == "mine" and (out / MANIFEST).is_file()
