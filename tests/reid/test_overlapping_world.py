"""The overlapping-views synthetic world end to end: extract, match with and without --views
overlapping, scored with multi-camera IDF1 against the world's global ground truth."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.cli import main
from tracklet_reid.synthetic import generate_world, world_config


@pytest.fixture(scope="module")
def overlapping_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("overlap")
    # 30 s: in a shorter clip every two tracklets overlap in time, and being seen at once tells nothing
    generate_world(out / "w", world_config("tiny", "easy", seed=1, views="overlapping", cameras=2, identities=8,
                                           frames=300))
    assert main(["extract", "--videos", str(out / "w" / "cams"), "--detector", "file", "--detections",
                 str(out / "w" / "det"), "-o", str(out / "t.h5"), "--mot-out", str(out / "mot"),
                 "--gt", str(out / "w" / "gt"), "-q"]) == 0
    return out


def test_people_are_in_both_views_at_once(overlapping_world):
    gt = {c: np.loadtxt(overlapping_world / "w" / "gt" / f"{c}.txt", delimiter=",", ndmin=2) for c in ("cam1", "cam2")}
    both = 0
    for pid in np.unique(gt["cam1"][:, 1]):
        f1 = set(gt["cam1"][gt["cam1"][:, 1] == pid, 0].astype(int))
        f2 = set(gt["cam2"][gt["cam2"][:, 1] == pid, 0].astype(int))
        both += len(f1 & f2) > 0
    assert both >= 5  # most of the 8 people are seen by the two cameras at the same moments


def _match(world, views: str) -> dict:
    out = world / f"m-{views}"
    assert main(["match", str(world / "t.h5"), "--model", "colour", "-o", str(out), "--mot", str(world / "mot"),
                 "--gt", str(world / "w" / "gt"), "--views", views, "--baseline", "none", "-q"]) == 0
    return json.loads((out / "match.json").read_text())


def test_overlapping_views_score_higher(overlapping_world):
    off, on = _match(overlapping_world, "disjoint"), _match(overlapping_world, "overlapping")
    # disjoint views refuse every pair seen at once: here, every true pair
    assert off["links_made"] == 0 and off["links_refused_time_overlap"] > 0
    assert off["multi_camera"]["idf1"] == pytest.approx(off["tracks"]["multi_camera"]["idf1"])
    assert on["links_made"] > 0
    assert on["multi_camera"]["idf1"] > off["multi_camera"]["idf1"] + 0.15
    assert on["multi_camera"]["hota"] > off["multi_camera"]["hota"]
    assert (overlapping_world / "m-overlapping" / "identities.png").stat().st_size > 0
    # one picture per identity seen by both cameras
    assert len(list((overlapping_world / "m-overlapping" / "identities").glob("*.png"))) >= 3
    assert "Global identities seen by two or more cameras" in (overlapping_world / "m-overlapping" /
                                                               "report.html").read_text()


def test_match_gt_needs_mot(overlapping_world, capsys):
    assert main(["match", str(overlapping_world / "t.h5"), "--model", "colour", "-o", str(overlapping_world / "x"),
                 "--gt", str(overlapping_world / "w" / "gt"), "-q"]) == 1
    assert "--gt" in capsys.readouterr().err


def test_forget_on_the_world_removes_the_listed_tracklets_only(overlapping_world, capsys):
    """On an extracted world store: forget -o removes exactly the tracklets its dry run lists (each
    left as a tombstone), and every other tracklet keeps its number, crops, frames, boxes and ground
    truth."""
    import numpy as np

    from tracking.store import TrackletStore

    store, out = overlapping_world / "t.h5", overlapping_world / "reduced.h5"
    argv = ["forget", str(store), "--model", "colour", "--tracklet", "cam1:0", "--max-distance", "0.6"]
    assert main([*argv, "--dry-run"]) == 0
    listed = {tuple(line.split()[:2]) for line in capsys.readouterr().out.splitlines()[3:] if line.strip()}
    assert 1 <= len(listed)
    assert main([*argv, "-o", str(out), "-q"]) == 0
    a, b = TrackletStore(store), TrackletStore(out)
    for cam in a.cameras:
        ca, cb = a.camera(cam), b.camera(cam)
        kept = [t for t in range(ca.num_tracklets) if (cam, str(t)) not in listed]
        assert cb.num_tracklets == ca.num_tracklets and cb.present().tolist() == [
            t in kept for t in range(ca.num_tracklets)]
        for old in kept:
            new = old  # numbers stay
            ia, ib = ca.crop_indices(old), cb.crop_indices(new)
            assert np.array_equal(ca.crop_frame[ia], cb.crop_frame[ib]) and np.array_equal(ca.crop_box[ia],
                                                                                           cb.crop_box[ib])
            ga = -1 if ca.gt_identity is None else ca.gt_identity[old]
            gb = -1 if cb.gt_identity is None else cb.gt_identity[new]
            assert ga == gb
            assert a.encoded_crop(cam, int(ia[0])) == b.encoded_crop(cam, int(ib[0]))
    assert store.exists()  # -o: the input is never replaced


def test_the_python_api_returns_the_scores_the_command_prints(overlapping_world):
    """tracklet_reid.match / merge score through the same library functions as the command."""
    import tracklet_reid as tr

    w = overlapping_world
    cli = _match(w, "overlapping")
    ids = tr.match(w / "t.h5", "colour", tr.MatchConfig(views="overlapping"), mot_dir=w / "mot", gt_dir=w / "w" / "gt")
    s = ids.scores
    assert s is not None and s.multi_camera is not None and s.tracks is not None
    assert ids.count == s.global_identities == cli["global_identities"]
    for key in ("idf1", "idp", "idr", "hota", "mota", "id_switches"):
        assert getattr(s.multi_camera, key) == pytest.approx(cli["multi_camera"][key]), key
        assert getattr(s.tracks, key) == pytest.approx(cli["tracks"]["multi_camera"][key]), key
    for key in ("cross_camera_precision", "cross_camera_recall", "rank1", "mAP"):  # the store's identities
        assert getattr(s, key) == pytest.approx(cli[key]), key

    out = w / "merged"
    assert main(["merge", str(w / "t.h5"), "--model", "colour", "-o", str(out), "--mot", str(w / "mot"),
                 "--gt", str(w / "w" / "gt"), "--baseline", "none", "-q"]) == 0
    cli_merge = json.loads((out / "merge.json").read_text())
    traj = tr.merge(w / "t.h5", "colour", mot_dir=w / "mot", gt_dir=w / "w" / "gt")
    assert traj.scores is not None and traj.scores.nmi == pytest.approx(cli_merge["nmi"])
    for cam in cli_merge["cameras"]:
        mine = traj.scores.cameras[cam["camera"]]
        for when in ("before", "after"):
            assert mine[when].idf1 == pytest.approx(cam[when]["idf1"]) and mine[when].mota == pytest.approx(
                cam[when]["mota"])
    # no ground truth asked for: the scores say only what the store's identities measure
    assert tr.match(w / "t.h5", "colour").scores.multi_camera is None


def test_the_default_finds_the_overlapping_views_itself(overlapping_world):
    auto, on = _match(overlapping_world, "auto"), _match(overlapping_world, "overlapping")
    [ev] = auto["views"]
    assert ev["overlapping"] and ev["seen_at_once"] >= 5 and ev["random_rate"] > 0.5
    assert auto["multi_camera"]["idf1"] == pytest.approx(on["multi_camera"]["idf1"])
