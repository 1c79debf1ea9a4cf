from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from pipeline.cli import main
from reid.association.match import global_identities
from reid.association.merge import merge_tracklets
from reid.eval.cluster_metrics import nmi, pairwise_precision_recall
from tests.helpers import write_reid_store


def test_merge_joins_close_fragments_but_never_overlapping_ones():
    # two people, each in 3 fragments; fragments of one person are near each other in feature space
    f = torch.tensor([[0.0, 0], [0.1, 0], [0.2, 0], [10, 0], [10.1, 0], [10.2, 0]])
    first = np.array([0, 20, 40, 0, 20, 40])
    last = np.array([10, 30, 50, 10, 30, 50])
    r = merge_tracklets(f, first, last, k=2, threshold=0.3)
    assert len(set(r.labels[:3])) == 1 and len(set(r.labels[3:])) == 1 and r.labels[0] != r.labels[3]
    assert r.summary()["mergeable"] == 6 and r.summary()["long_trajectories"] == 2
    # now fragments 1 and 2 overlap in time: they can never share a trajectory
    last2 = last.copy()
    last2[1] = 45
    r2 = merge_tracklets(f, first, last2, k=2, threshold=0.3)
    assert r2.labels[1] != r2.labels[2] and r2.cut_links >= 1


def test_global_identities_respect_time():
    f = torch.tensor([[0.0, 0], [0.05, 0], [0.1, 0], [5, 5]])
    cams = np.array([0, 1, 2, 1])
    first, last = np.array([0, 100, 50, 0]), np.array([10, 110, 60, 10])
    labels, stats = global_identities(f, cams, first, last)
    assert labels[0] == labels[1] == labels[2] and labels[3] != labels[0]
    # camera 2's tracklet overlaps camera 1's in time: it cannot join that identity
    labels, stats = global_identities(f, cams, first, np.array([10, 110, 105, 10]))
    assert labels[1] != labels[2] and stats["links_refused_time_overlap"] >= 1


def test_nmi_and_pairwise_metrics():
    assert nmi(np.array([0, 0, 1, 1]), np.array([5, 5, 7, 7])) == pytest.approx(1.0)
    assert nmi(np.array([0, 0, 1, 1]), np.array([1, 2, 1, 2])) == pytest.approx(0.0, abs=1e-12)
    pr = pairwise_precision_recall(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]))
    assert pr["precision"] == pytest.approx(0.5) and pr["recall"] == pytest.approx(1 / 3)


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_merge_and_match_account_for_every_tracklet(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=3)
    n = 3 * 5 * 3
    assert main(["merge", str(store), "--model", "colour", "-o", str(tmp_path / "merged"), "--baseline", "none",
                 "-q"]) == 0
    rows = _rows(tmp_path / "merged" / "trajectories.csv")
    keys = {(r["camera"], r["tracklet"]) for r in rows}
    assert len(rows) == n and len(keys) == n  # none lost, none duplicated
    assert (tmp_path / "merged" / "report.html").exists()
    for cam in ("cam1", "cam2", "cam3"):  # trajectory ids as MOT text, from the stored boxes
        assert (tmp_path / "merged" / "mot" / f"{cam}.txt").stat().st_size > 0
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "matched"), "--baseline", "none",
                 "-q"]) == 0
    rows = _rows(tmp_path / "matched" / "global_ids.csv")
    assert len(rows) == n and len({(r["camera"], r["tracklet"]) for r in rows}) == n
    ranked = _rows(tmp_path / "matched" / "ranked.csv")
    assert all(r["camera"] != r["match_camera"] for r in ranked)
    for cam in ("cam1", "cam2", "cam3"):
        assert (tmp_path / "matched" / "mot" / f"{cam}.txt").stat().st_size > 0
    # colour features mostly identify these identities
    import json

    res = json.loads((tmp_path / "matched" / "match.json").read_text())
    assert res["cross_camera_precision"] > 0.5 and res["rank1"] > 0.8


def test_match_needs_two_cameras(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=1)
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "m"), "-q"]) == 1
    assert "at least two cameras" in capsys.readouterr().err
    assert main(["merge", str(store), "--model", str(tmp_path / "nomodel"), "-o", str(tmp_path / "m"), "-q"]) == 1
    assert "no model here" in capsys.readouterr().err
