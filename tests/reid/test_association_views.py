"""Overlapping views (being seen at once is evidence for one person) and the distance cut read from
the data, on hand-made features with known answers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reid.association.config import MatchConfig
from reid.association.distance_cut import mixture_cut, mixture_cuts
from reid.association.group_centroids import GroupCentroids
from reid.association.match import global_identities
from reid.association.union_find import TimedUnionFind
from tracklet_reid.errors import InputError


def test_overlapping_views_lift_the_veto_between_cameras_only():
    # a (camera 0) and b (camera 1) look alike and are seen at once
    f = torch.tensor([[0.0, 0], [0.1, 0]])
    cams = np.array([0, 1])
    first, last = np.array([0, 2]), np.array([10, 12])
    labels, stats = global_identities(f, cams, first, last)
    assert labels[0] != labels[1] and stats["links_refused_time_overlap"] == 1  # disjoint views: refused
    labels, stats = global_identities(f, cams, first, last, coexist=~np.eye(2, dtype=bool))
    assert labels[0] == labels[1] and stats["links_refused_time_overlap"] == 0
    # c (camera 0, at the same time as a) can join neither: one camera never sees a person twice at once
    sets = TimedUnionFind(np.array([0, 2, 5]), np.array([10, 12, 15]), camera_of=np.array([0, 1, 0]),
                          coexist=~np.eye(2, dtype=bool))
    assert sets.union(0, 1) and not sets.union(1, 2) and not sets.union(2, 0)


def test_seen_at_once_links_first():
    """b_near (camera 1) is nearer to a than b_with (camera 1), but only b_with is seen at the same
    time as a; b_near overlaps b_with in time, so only one of them can be a. Overlapping views pick
    b_with; disjoint views (where being seen at once rules b_with out) pick b_near."""
    f = torch.tensor([[0.0, 0], [0.3, 0], [0.1, 0]])  # a, b_with, b_near
    cams = np.array([0, 1, 1])
    first, last = np.array([0, 0, 60]), np.array([50, 100, 300])
    labels, stats = global_identities(f, cams, first, last, coexist=~np.eye(2, dtype=bool))
    assert labels[0] == labels[1] and labels[2] != labels[0]
    assert stats["links_made_seen_at_once"] == 1 and stats["links_refused_time_overlap"] == 1
    labels, _ = global_identities(f, cams, first, last)
    assert labels[0] == labels[2] and labels[1] != labels[0]


def test_coexist_from_settings():
    cams = ["cam1", "cam2", "cam3"]
    assert MatchConfig().coexist(cams) is None
    m = MatchConfig(views="overlapping").coexist(cams)
    assert m.sum() == 6 and not m.diagonal().any()
    p = MatchConfig(overlapping_pairs="cam1:cam3").coexist(cams)
    assert p[0, 2] and p[2, 0] and p.sum() == 2
    with pytest.raises(InputError, match="cam9"):
        MatchConfig(overlapping_pairs="cam1:cam9").coexist(cams)
    with pytest.raises(InputError, match="CAMERA:CAMERA"):
        MatchConfig(overlapping_pairs="cam1-cam2").coexist(cams)


def test_mixture_cut_finds_the_far_group():
    rng = np.random.default_rng(0)
    near, far = rng.normal(0.5, 0.05, 60), rng.normal(1.0, 0.05, 20)
    cut = mixture_cut(np.concatenate([near, far]))
    assert cut == pytest.approx(1.0, abs=0.03)
    assert mixture_cut(rng.normal(0.5, 0.05, 80)) is None  # one group: nothing to cut
    assert mixture_cut(np.array([0.1, 0.9, 1.0])) is None  # too few to tell
    cuts = mixture_cuts(np.concatenate([near, far]))
    assert cuts.pair == cut and cuts.group == pytest.approx(0.5 + 2 * 0.05, abs=0.03)  # near mean + 2 spreads


def test_a_chain_of_close_pairs_does_not_join_two_people():
    """P (cameras 0, 1) and Q (cameras 2, 3): each pair 0.5 apart, and P's camera-1 tracklet 0.9 from
    Q's camera-2 one, a mutual pair under the cut. Judged by the pair it joins P and Q; judged by
    the groups' means (1.4 apart) it does not."""
    f = torch.tensor([[0.0, 0], [0.5, 0], [1.4, 0], [1.9, 0]])
    cams, first = np.arange(4), np.arange(4) * 100
    chained, _ = global_identities(f, cams, first, first + 10, max_distance=1.0)
    assert len(set(chained.tolist())) == 1
    labels, stats = global_identities(f, cams, first, first + 10, max_distance=1.0, judge_groups=True)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    assert stats["links_groups_apart"] == 1 and stats["max_group_distance"] == 1.0
    assert not MatchConfig().groups_judged(4) and MatchConfig().groups_judged(5)  # auto: past 4 cameras
    assert MatchConfig(group_cut="on").groups_judged(2) and not MatchConfig(group_cut="off").groups_judged(20)
    with pytest.raises(InputError, match="--group-cut"):
        MatchConfig(group_cut="maybe").validate()


def test_group_centroids_are_the_groups_means():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    g = GroupCentroids(x)
    g.seed(np.array([0, 0, 2, 3, 3, 3]))  # groups {0, 1} and {3, 4, 5}; 2 alone
    assert g.grouped(0, 2) and not g.grouped(2, 2)
    assert g.distance(0, 3) == pytest.approx(np.linalg.norm(x[:2].mean(0) - x[3:].mean(0)), rel=1e-5)
    g.join(0, 2)
    assert g.distance(0, 3) == pytest.approx(np.linalg.norm(x[:3].mean(0) - x[3:].mean(0)), rel=1e-5)


def test_distance_cut_keeps_lonely_people_alone():
    """Three people in both cameras (pairs 0.1 apart) and one person in each camera seen nowhere else,
    nearest to each other (1.0 apart) for want of anyone better: the cut from the data keeps them apart."""
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 10, (12, 2))
    a = centres
    b = centres + rng.normal(0, 0.05, centres.shape)
    lonely = np.array([[100.0, 100], [101, 100]])
    f = torch.tensor(np.vstack([a, lonely[:1], b, lonely[1:]]), dtype=torch.float32)
    cams = np.repeat([0, 1], 13)
    first = np.arange(26) * 100  # nobody overlaps in time
    last = first + 10
    labels, stats = global_identities(f, cams, first, last, distance_cut="auto")
    assert labels[12] != labels[25] and stats["links_over_distance"] == 1
    assert all(labels[i] == labels[13 + i] for i in range(12))
    labels, _ = global_identities(f, cams, first, last, distance_cut="none")
    assert labels[12] == labels[25]
