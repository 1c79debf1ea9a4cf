"""The one neighbour pass (reid/neighbours/search.py): exact tables equal brute force, the
approximate ones agree with them on data with identity structure, links read from the tables are
true per-pair mutual neighbours, and merge / match / soft labels give the same answers from it."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from reid.association.config import MatchConfig, MergeConfig
from reid.association.merge import _components_with_overlap, merge_tracklets
from reid.association.network import match_cameras, merge_cameras, network_neighbours
from reid.neighbours.search import (
    SMALL,
    NeighbourConfig,
    _nearest_distinct,
    _reverse_edges,
    approximate_camera_neighbours,
    camera_neighbours,
    exact_camera_neighbours,
    measure_recall,
)
from reid.tracklet_index import TrackletIndex
from reid.utal.cross_camera import cross_camera_matches
from reid.utal.soft_labels import compute_soft_labels
from tracklet_reid.errors import InputError


def _brute(x: torch.Tensor, cams: np.ndarray, k: int, same: bool):
    d = torch.cdist(x.double(), x.double()).pow(2)
    d.fill_diagonal_(float("inf"))
    c = torch.as_tensor(cams)
    mask = (c[:, None] == c[None, :]) != same
    return torch.topk(d.masked_fill(mask, float("inf")), k, largest=False)


def _people(n_people=60, per=4, cameras=3, dim=24, noise=0.15, seed=0):
    """Features around person centres, cameras sorted: (x, person, camera)."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_people, dim, generator=g)
    person = torch.arange(n_people).repeat_interleave(per)
    x = centres[person] + noise * torch.randn(len(person), dim, generator=g)
    cams = np.random.default_rng(seed).integers(0, cameras, len(person))
    order = np.argsort(cams, kind="stable")
    return x[order], person.numpy()[order], cams[order]


@pytest.mark.parametrize("tile", [7, 64, 4096])
def test_exact_tables_equal_brute_force(tile):
    x, _, cams = _people()
    t = exact_camera_neighbours(x, cams, 3, 5, tile=tile)
    for same, d, i in ((True, t.within_d2, t.within_idx), (False, t.across_d2, t.across_idx)):
        dv, di = _brute(x, cams, d.shape[1], same)
        assert torch.allclose(d.double(), dv, atol=1e-3)
        assert torch.equal(i, di)
    own = exact_camera_neighbours(x, cams, 3, 0)  # own camera only: a search per camera
    assert torch.equal(own.within_idx, t.within_idx) and own.across_idx.shape == (len(x), 0)


def test_small_camera_pads_with_minus_one():
    x = torch.randn(5, 4)
    t = exact_camera_neighbours(x, np.array([0, 0, 1, 1, 1]), 3, 4)
    assert (t.within_idx[:2, 1:] == -1).all() and torch.isinf(t.within_d2[:2, 1:]).all()
    assert (t.across_idx[:2, 3:] == -1).all()  # camera 1 holds 3 tracklets


def test_approximate_agrees_with_exact_on_people():
    x, person, cams = _people(n_people=400, per=4, cameras=4, dim=64)
    cfg = NeighbourConfig(method="approximate", project_to=16, candidates=16)
    approx = approximate_camera_neighbours(x, cams, 3, 5, cfg)
    exact = exact_camera_neighbours(x, cams, 3, 5)
    assert approx.method == "approximate"
    # where a person's other tracklet exists, it is found: the tables agree on the nearest
    assert (approx.across_idx[:, 0] == exact.across_idx[:, 0]).float().mean() > 0.98
    r = measure_recall(x, cams, approx, 300)
    assert r["recall1_across"] > 0.98 and r["sample"] == 300
    assert measure_recall(x, cams, exact, 300)["recall1_within"] == 1.0
    c = torch.as_tensor(cams)
    ok = approx.across_idx >= 0
    assert (c[approx.across_idx.clamp_min(0)] != c[:, None])[ok].all()  # other cameras only
    okw = approx.within_idx >= 0
    assert (c[approx.within_idx.clamp_min(0)] == c[:, None])[okw].all()
    assert (approx.within_idx != torch.arange(len(x))[:, None]).all()  # never itself
    none = approximate_camera_neighbours(x, cams, 0, 0, cfg)
    assert none.within_idx.shape == none.across_idx.shape == (len(x), 0)


def test_inverted_files_with_reverse_edges_find_the_nearest():
    # cameras larger than SMALL: the network's and each camera's IVF-PQ index are trained and probed
    x, _, cams = _people(n_people=2600, per=4, cameras=2, dim=48, noise=0.5)
    assert min(np.bincount(cams)) > SMALL
    cfg = NeighbourConfig(method="approximate", project_to=48, candidates=16, probe_share=0.05,
                          own_probe_share=0.2)
    both = approximate_camera_neighbours(x, cams, 4, 4, cfg)
    one_sided = approximate_camera_neighbours(x, cams, 4, 4, replace(cfg, reverse=0))
    r, r1 = measure_recall(x, cams, both, 500), measure_recall(x, cams, one_sided, 500)
    # measured: one-sided 0.900 / 0.990, with reverse edges 0.952 / 0.996 (across / within)
    assert r["recall1_across"] >= 0.93 and r["recall1_within"] >= 0.98
    assert r["recall1_across"] >= r1["recall1_across"] + 0.02
    for idx, d2 in ((both.within_idx, both.within_d2), (both.across_idx, both.across_d2)):
        ok = idx >= 0
        assert ok[:, 0].all() and (d2[:, 1:] >= d2[:, :-1]).all()  # found, ascending
        s, _ = torch.sort(idx, 1)
        assert not ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0)).any()  # each neighbour once
        true = (x[idx.clamp_min(0)] - x[:, None]).pow(2).sum(-1)
        assert torch.allclose(d2[ok], true[ok], rtol=1e-4, atol=1e-4)  # exact distances


def test_reverse_edges_offer_each_found_pair_to_the_other_side():
    cand = np.array([[2, -1], [2, 0], [-1, -1]])
    d2 = np.array([[1.0, np.inf], [0.5, 3.0], [np.inf, np.inf]], np.float32)
    rev, rev_d2 = _reverse_edges(cand, d2, 2)
    assert rev.tolist() == [[1, -1], [-1, -1], [1, 0]]  # row 2 was found by 1 (0.5), then 0 (1.0)
    assert rev_d2[2].tolist() == [0.5, 1.0] and rev_d2[0].tolist() == [3.0, np.inf]
    assert _reverse_edges(cand, d2, 1)[0][2].tolist() == [1]  # the nearest first
    v, i = _nearest_distinct(torch.tensor([[3, 3, 1, -1]]), torch.tensor([[1.0, 1.0, 2.0, 0.1]]),
                             torch.tensor([[True, True, True, True]]), 4)
    assert i.tolist() == [[3, 1, -1, -1]] and v[0, :2].tolist() == [1.0, 2.0]


def test_auto_is_exact_below_the_size_and_says_so():
    x, _, cams = _people()
    t = camera_neighbours(x, cams, 2, 2, NeighbourConfig(exact_below=10_000))
    assert t.method == "exact" and t.summary() == {"method": "exact"}
    t = camera_neighbours(x, cams, 2, 2, NeighbourConfig(exact_below=10, project_to=8, recall_sample=50))
    assert t.method == "approximate" and t.summary()["sample"] == 50
    with pytest.raises(InputError, match="--neighbours"):
        NeighbourConfig(method="fast").validate()


def test_links_from_the_tables_are_per_pair_mutual_neighbours():
    x, _, cams = _people(n_people=50, per=3, cameras=4, noise=0.6)
    n = len(x)
    d = torch.cdist(x, x)
    c = torch.as_tensor(cams)
    truth = set()
    for a in range(4):
        for b in range(a + 1, 4):
            ia, ib = np.flatnonzero(cams == a), np.flatnonzero(cams == b)
            sub = d[ia][:, ib]
            ab, ba = sub.argmin(1), sub.argmin(0)
            truth |= {(int(ia[i]), int(ib[ab[i]])) for i in range(len(ia)) if ba[ab[i]] == i}
    short = exact_camera_neighbours(x, cams, 0, 4)
    _, i, j = short.mutual_across(cams)
    found = {(min(a, b), max(a, b)) for a, b in zip(i.tolist(), j.tolist())}
    assert found and found <= truth  # a short list finds only true pairs ...
    full = exact_camera_neighbours(x, cams, 0, n)
    dist, i, j = full.mutual_across(cams)
    assert {(min(a, b), max(a, b)) for a, b in zip(i.tolist(), j.tolist())} == truth  # ... a full one all
    assert np.allclose(dist, d[i, j].numpy(), atol=1e-4) and (c[i] != c[j]).all()


def test_merge_match_and_labels_read_one_pass():
    x, person, cams = _people(n_people=40, per=4, cameras=3)
    n = len(x)
    starts = np.searchsorted(cams, np.arange(4))
    slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
    first = np.arange(n) * 100
    index = TrackletIndex(["a", "b", "c"], slices, cams, np.arange(n) - starts[cams], np.zeros(n, np.int64),
                          np.ones(n, np.int64), person, first, first + 10)
    nb = network_neighbours(x, index)
    via_pass = merge_cameras(x, index, MergeConfig(), nb)
    alone = [merge_tracklets(x[sl], first[sl], first[sl] + 10).labels for sl in slices]
    for sl, labels in zip(slices, alone):
        _, a = np.unique(via_pass.labels[sl], return_inverse=True)
        assert np.array_equal(a, labels)
    ids = match_cameras(x, index, MatchConfig(), neighbours=nb)
    assert ids.stats["neighbours"] == {"method": "exact"}
    assert np.array_equal(ids.labels, match_cameras(x, index, MatchConfig()).labels)  # its own pass: the same
    pure = [len(np.unique(person[ids.labels == g])) == 1 for g in range(ids.count)]
    assert np.mean(pure) > 0.85 and ids.count >= 34  # well-separated people: few identities mix two
    soft = compute_soft_labels(x, slices, 3)
    assert (soft.index[:, 0] == torch.cat([torch.arange(s.stop - s.start) for s in slices])).all()
    pairs = cross_camera_matches(x, torch.as_tensor(cams))
    has = pairs[:, 0] >= 0
    assert has.any() and (person[pairs[has, 0]] == person[has.numpy()]).all()


def test_components_with_overlap_match_a_plain_check():
    rng = np.random.default_rng(3)
    comp = rng.integers(0, 30, 200)
    first = rng.integers(0, 5000, 200)
    last = first + rng.integers(0, 60, 200)
    got = _components_with_overlap(comp, first, last)
    for c in range(30):
        m = np.flatnonzero(comp == c)
        plain = any(first[a] <= last[b] and first[b] <= last[a] for a in m for b in m if a < b)
        assert got[c] == plain


def test_match_command_with_approximate_neighbours_says_how_well(tmp_path, capsys):
    import json

    from pipeline.cli import main
    from tests.helpers import write_reid_store

    store = write_reid_store(tmp_path / "s.h5", cameras=3, identities=5, tracklets_per_id=3)
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "m"), "--baseline", "none",
                 "--neighbours", "approximate"]) == 0
    out = capsys.readouterr().out
    assert "approximate search (faiss IVF-PQ); recall@1 against exact on 45 tracklets" in out
    nb = json.loads((tmp_path / "m" / "match.json").read_text())["neighbours"]
    assert nb["method"] == "approximate" and nb["recall1_across"] > 0.9
    assert main(["merge", str(store), "--model", "colour", "-o", str(tmp_path / "g"), "--baseline", "none"]) == 0
    assert "neighbours: exact search" in capsys.readouterr().out


def test_soft_labels_say_how_their_neighbours_were_found():
    x, _, cams = _people(n_people=100, per=4, cameras=2, dim=32)
    starts = np.searchsorted(cams, np.arange(3))
    slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
    assert compute_soft_labels(x, slices, 3).neighbours == {"method": "exact"}
    approx = compute_soft_labels(x, slices, 3, NeighbourConfig(exact_below=10, recall_sample=100))
    assert approx.neighbours["method"] == "approximate" and approx.neighbours["recall1_within"] > 0.9
