"""`match --views auto` (the default): which cameras watch one place, read from whether their
confident matches are seen at once, against the rate for any two of their tracklets."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.cli import main
from reid.association.views import decide_views
from reid.spacetime.presence import MIN_PAIRS, overlap_rate
from tests.conftest import shared_path


def test_the_random_pair_rate_equals_counting_every_pair():
    rng = np.random.default_rng(0)
    fa, fb = rng.uniform(0, 100, 40), rng.uniform(0, 100, 30)
    la, lb = fa + rng.uniform(0, 20, 40), fb + rng.uniform(0, 20, 30)
    brute = ((fa[:, None] <= lb[None, :]) & (fb[None, :] <= la[:, None])).mean()
    assert overlap_rate(fa, la, fb, lb) == pytest.approx(brute)
    assert overlap_rate(fa[:0], la[:0], fb, lb) == 0.0


def _network(at_once: bool, pairs: int = 8):
    """Cameras 0 and 1, ``pairs`` tracklets each, tracklet k of one matched with tracklet k of the
    other; spans of 10 s spread over 200 s (any two tracklets rarely overlap). ``at_once``: the
    matched tracklets are seen at the same time (overlapping views), else 50 s apart (disjoint)."""
    starts = np.arange(pairs) * 25.0
    first = np.r_[starts, starts + (0.0 if at_once else 50.0)]
    last = first + 10.0
    cams = np.r_[np.zeros(pairs, int), np.ones(pairs, int)]
    return cams, first, last, np.arange(pairs), np.arange(pairs) + pairs


def test_matches_seen_at_once_make_a_pair_overlapping():
    cams, first, last, i, j = _network(at_once=True)
    coexist, [ev] = decide_views(["a", "b"], cams, first, last, i, j)
    assert coexist[0, 1] and coexist[1, 0] and not coexist[0, 0]
    assert (ev.mutual_pairs, ev.seen_at_once, ev.overlapping) == (8, 8, True) and ev.random_rate < 0.2
    assert "a and b watch one place: 8 of 8" in ev.line()


def test_matches_seen_apart_keep_a_pair_disjoint():
    cams, first, last, i, j = _network(at_once=False)
    coexist, [ev] = decide_views(["a", "b"], cams, first, last, i, j)
    assert not coexist.any() and ev.seen_at_once == 0 and not ev.overlapping


def test_too_few_matches_say_nothing():
    cams, first, last, i, j = _network(at_once=True, pairs=MIN_PAIRS - 1)
    coexist, [ev] = decide_views(["a", "b"], cams, first, last, i, j)
    assert not coexist.any() and ev.seen_at_once == MIN_PAIRS - 1 and not ev.overlapping


def test_when_everyone_is_always_there_being_seen_at_once_is_no_evidence():
    """Everyone present the whole time: any two tracklets overlap (rate 1), so matches that do
    cannot tell the views apart unless all of them do."""
    cams, first, last, i, j = _network(at_once=True)
    first, last = np.zeros_like(first), np.full_like(last, 100.0)
    both = np.r_[i, [0]], np.r_[j, [9]]
    coexist, [ev] = decide_views(["a", "b"], cams, first, last, *both)
    assert ev.random_rate == 1.0 and ev.seen_at_once == ev.mutual_pairs and coexist[0, 1]


@pytest.mark.slow
def test_the_two_real_pets_views_are_found_overlapping_with_no_flag(tmp_path, capsys):
    """PETS09-S2L1 views 001 and 005 (101 synchronised frames): extracted with the offline Darknet
    body detector, matched with the downloaded OSNet and no --views flag."""
    views = shared_path("pets09-s2l1-2view")
    weights = shared_path("weights", "yolo-fastest-1.1-body")
    osnet = shared_path("weights", "osnet-x0_25-msmt17", "osnet_x0_25_msmt17.onnx")
    store, mot = tmp_path / "t.h5", tmp_path / "mot"
    darknet = ["--detector", "darknet", "--cfg", str(weights / "yolo-fastest-1.1_body.cfg"),
               "--weights", str(weights / "yolo-fastest-1.1_body.weights")]
    assert main(["extract", "--videos", str(views), *darknet, "-o", str(store), "--mot-out", str(mot), "-q"]) == 0
    assert main(["match", str(store), "--model", str(osnet), "-o", str(tmp_path / "m"), "--mot", str(mot),
                 "--baseline", "none"]) == 0
    assert "views: view001 and view005 watch one place" in capsys.readouterr().out
    result = json.loads((tmp_path / "m" / "match.json").read_text())
    assert result["views"][0]["overlapping"] and result["links_made"] >= 4
    rows = (tmp_path / "m" / "global_ids.csv").read_text().splitlines()[1:]
    cams_of: dict[str, set] = {}
    for line in rows:
        cam, _, _, gid = line.split(",")[:4]
        cams_of.setdefault(gid, set()).add(cam)
    assert sum(len(c) == 2 for c in cams_of.values()) >= 4  # people with one global id in both views
    # the camera network learnt from the same store finds the shared view with no flag too
    assert main(["topology", str(store), "--model", str(osnet), "-o", str(tmp_path / "topo"), "-q"]) == 0
    topo = json.loads((tmp_path / "topo" / "topology.json").read_text())
    assert topo["summary"]["overlapping"] == [["view001", "view005"]] and not topo["summary"]["links"]
    page = (tmp_path / "topo" / "topology.html").read_text()
    assert "<svg" in page and page.count("<img") == 2  # the graph, and each view's zones on one of its frames


def test_a_short_clip_where_every_two_tracklets_overlap_decides_neither():
    """PETS09's two views through the Intel detector and model: 6 of 7 confident matches seen at
    once where any two tracklets overlap 0.76 of the time. That proves neither views of one place
    nor disjoint ones; refusing every match seen at once (the disjoint default) would refuse the
    right ones, so the pair is undetermined and appearance decides, with no time veto."""
    from reid.spacetime.presence import views_verdict

    assert views_verdict(7, 6, 0.76) == "undetermined"
    assert views_verdict(7, 7, 0.76) == "overlapping"
    assert views_verdict(20, 2, 0.1) == "apart"  # a long recording: seen at once at the random rate
    assert views_verdict(MIN_PAIRS - 1, 0, 0.1) == "apart"  # too few matches: the disjoint default
    cams, first, last, i, j = _network(at_once=True, pairs=7)
    first, last = np.r_[first[:7] * 0.1, first[7:] * 0.1], np.r_[last[:7] * 0.1 + 20, last[7:] * 0.1 + 20]
    j = j.copy()
    j[0] = 13  # one confident match with a tracklet seen at another time
    first[13], last[13] = 200.0, 210.0
    coexist, [ev] = decide_views(["a", "b"], cams, first, last, i, j)
    assert ev.verdict == "undetermined" and not ev.overlapping and coexist[0, 1]
    assert "no time veto, appearance decides" in ev.line()
