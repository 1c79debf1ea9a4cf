"""UTAL building blocks on hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from reid.neighbours.topk import topk_neighbours
from reid.tracklet_index import TrackletIndex
from reid.utal.cross_camera import cross_camera_matches, pair_stats
from reid.utal.losses import ccta_loss, pctd_loss
from reid.utal.memory import TrackletMemory
from reid.utal.sampler import BalancedTrackletSampler
from reid.utal.soft_labels import compute_soft_labels, hard_labels, same_identity_label_similarity


def test_memory_update_eq3():
    mem = TrackletMemory(torch.tensor([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), alpha=1.0)
    feats = torch.tensor([[2.0, 0.0], [4.0, 2.0], [3.0, 3.0]])
    mem.update(torch.tensor([0, 0, 1]), feats)
    # s0 <- (s0 + mean([2,0],[4,2])) / 2 = ([0,0] + [3,1]) / 2; s1 <- ([1,1] + [3,3]) / 2; s2 untouched
    assert torch.allclose(mem.s, torch.tensor([[1.5, 0.5], [2.0, 2.0], [5.0, 5.0]]))
    m2 = TrackletMemory(torch.zeros(1, 2), alpha=3.0)
    m2.update(torch.tensor([0]), torch.tensor([[4.0, 8.0]]))
    assert torch.allclose(m2.s, torch.tensor([[3.0, 6.0]]))


def test_soft_labels_eqs_4_to_6_by_hand():
    # one camera, points on a line at 0, 1, 3; K = 1
    mem = torch.tensor([[0.0], [1.0], [3.0]])
    lab = compute_soft_labels(mem, [slice(0, 3)], K=1)
    # nearest: 0->1 (d2 1), 1->0 (d2 1), 2->1 (d2 4); sigma2 = (1 + 1 + 4) / 3 = 2
    assert lab.sigma2 == [pytest.approx(2.0)]
    a = math.exp(-1 / 2)
    assert lab.index[0].tolist() == [0, 1] and lab.weight[0].tolist() == pytest.approx([1 / (1 + a), a / (1 + a)])
    b = math.exp(-4 / 2)
    assert lab.index[2].tolist() == [2, 1] and lab.weight[2].tolist() == pytest.approx([1 / (1 + b), b / (1 + b)])
    one_hot = compute_soft_labels(mem, [slice(0, 3)], K=0)
    assert one_hot.index.flatten().tolist() == [0, 1, 2] and one_hot.weight.flatten().tolist() == [1, 1, 1]


def test_soft_labels_are_per_camera_and_sparse():
    mem = torch.tensor([[0.0], [0.1], [0.2], [0.05], [9.0]])
    lab = compute_soft_labels(mem, [slice(0, 3), slice(3, 5)], K=4)
    # camera 2 has 2 tracklets: only 1 neighbour exists; indices are camera-local
    assert lab.index.shape == (5, 3)
    assert lab.index[3].tolist()[:2] == [0, 1] and lab.weight[3, 2] == 0
    assert torch.allclose(lab.weight.sum(1), torch.ones(5))
    sim = same_identity_label_similarity(lab, [slice(0, 3), slice(3, 5)], torch.tensor([7, 7, -1, 1, 2]))
    assert 0 < sim <= 1


def test_pctd_loss_is_soft_cross_entropy_per_branch():
    torch.manual_seed(0)
    heads = torch.nn.ModuleList([torch.nn.Linear(4, 3, bias=False), torch.nn.Linear(4, 2, bias=False)])
    emb = torch.randn(3, 4)
    cams = torch.tensor([0, 1, 0])
    idx = torch.tensor([[0, 2], [1, 0], [1, 0]])
    w = torch.tensor([[0.7, 0.3], [1.0, 0.0], [0.6, 0.4]])
    got = pctd_loss(emb, heads, cams, idx, w)
    lp0 = torch.log_softmax(heads[0](emb[[0, 2]]), 1)
    lp1 = torch.log_softmax(heads[1](emb[[1]]), 1)
    want = -(0.7 * lp0[0, 0] + 0.3 * lp0[0, 2] + 0.6 * lp0[1, 1] + 0.4 * lp0[1, 0] + lp1[0, 1]) / 3
    assert got.item() == pytest.approx(want.item(), rel=1e-6)


def test_reciprocal_one_way_and_knn_matches():
    # camera 0: a=0, b=10; camera 1: c=1, d=20, e=11
    mem = torch.tensor([[0.0], [10.0], [1.0], [20.0], [11.0]])
    cams = torch.tensor([0, 0, 1, 1, 1])
    rec = cross_camera_matches(mem, cams, "reciprocal")
    # a<->c reciprocal, b<->e reciprocal, d's nearest is b but b's nearest is e: none
    assert rec.flatten().tolist() == [2, 4, 0, -1, 1]
    one = cross_camera_matches(mem, cams, "one_way")
    assert one.flatten().tolist() == [2, 4, 0, 1, 1]
    knn = cross_camera_matches(mem, cams, "two_way_knn", k=2)
    assert sorted(knn[4].tolist()) == [0, 1]  # e is within both a's and b's 2-NN, and they in e's
    assert knn[3].tolist() == [-1, -1]  # d's 2-NN (b, a) do not have d in theirs
    # Fig. 6 counts pairs: a<->c and b<->e are two pairs, though four tracklets have a match
    assert pair_stats(rec, torch.tensor([5, 6, 5, 7, 8])) == {"pairs": 2, "matched_tracklets": 4,
                                                               "pair_precision": 0.5}
    assert pair_stats(one, torch.tensor([5, 6, 5, 7, 8]))["pairs"] == 3  # a-c, b-e, d-b
    single = cross_camera_matches(mem, torch.zeros(5, dtype=torch.long))
    assert (single == -1).all()


def test_ccta_loss_has_gradient_through_batch_features():
    emb = torch.randn(4, 8, requires_grad=True)
    trk = torch.tensor([0, 0, 1, 1])
    matches = torch.tensor([[2], [-1], [0]])
    mem = torch.randn(3, 8)
    for normalize in (True, False):
        loss, n = ccta_loss(emb, trk, matches, mem, normalize)
        assert n == 1
        emb.grad = None
        loss.backward()
        g = emb.grad
        assert g[:2].abs().sum() > 0  # tracklet 0 has a match: its frames get gradient
        assert g[2:].abs().sum() == 0  # tracklet 1 has none
    # hand value without normalisation: |mean(x0, x1) - s2|^2 / 2 tracklets
    loss, _ = ccta_loss(emb, trk, matches, mem, normalize=False)
    want = ((emb[:2].mean(0) - mem[2]) ** 2).sum() / 2
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    # the plain norm of Eq. 10 as printed
    loss, _ = ccta_loss(emb, trk, matches, mem, normalize=False, distance="l2")
    assert loss.item() == pytest.approx((emb[:2].mean(0) - mem[2]).norm().item() / 2, rel=1e-5)


def test_ccta_sums_over_matches_as_eq_10():
    """2-way k-NN gives a tracklet several matches: Eq. 10 sums over them (not their mean)."""
    emb = torch.randn(2, 4)
    trk = torch.tensor([0, 0])
    mem = torch.randn(3, 4)
    loss, n = ccta_loss(emb, trk, torch.tensor([[1, 2], [-1, -1], [-1, -1]]), mem, normalize=False)
    m = emb.mean(0)
    want = ((m - mem[1]) ** 2).sum() + ((m - mem[2]) ** 2).sum()
    assert n == 1 and loss.item() == pytest.approx(want.item(), rel=1e-5)


@pytest.mark.parametrize("tile", [7, 16, 1000])
def test_blockwise_topk_equals_brute_force(tile):
    x = torch.randn(50, 5, dtype=torch.float64)
    cams = torch.arange(50) % 3
    full = torch.cdist(x, x) ** 2
    full.fill_diagonal_(float("inf"))
    d, i = topk_neighbours(x, 3, tile=tile)
    dv, di = torch.topk(full, 3, largest=False)
    assert torch.equal(i, di) and torch.allclose(d, dv)
    masked = full.clone()
    masked[cams[:, None] == cams[None, :]] = float("inf")
    d, i = topk_neighbours(x, 2, tile=tile, block_mask=lambda r, c: cams[r][:, None] == cams[c][None, :])
    dv, di = torch.topk(masked, 2, largest=False)
    assert torch.equal(i, di) and torch.allclose(d, dv)
    y = torch.randn(9, 5, dtype=torch.float64)
    d, i = topk_neighbours(x, 4, y=y)
    dv, di = torch.topk(torch.cdist(x, y) ** 2, 4, largest=False)
    assert torch.equal(i, di) and torch.allclose(d, dv)


def _index(sizes, counts=None):
    slices, n = [], 0
    for s in sizes:
        slices.append(slice(n, n + s))
        n += s
    cam = np.concatenate([np.full(s, c) for c, s in enumerate(sizes)])
    counts = np.asarray(counts if counts is not None else [3] * n)
    return TrackletIndex([f"c{c}" for c in range(len(sizes))], slices, cam,
                         np.concatenate([np.arange(s) for s in sizes]), np.zeros(n, np.int64), counts,
                         np.full(n, -1), np.zeros(n, np.int64), np.zeros(n, np.int64))


def test_sampler_balances_cameras_and_defines_epoch():
    idx = _index([10, 3, 5], counts=[1] + [6] * 17)
    s = BalancedTrackletSampler(idx, batch_size=24, frames=4, seed=3)
    assert s.per_camera == 2 and len(s) == 5  # ceil(10 / 2): every tracklet of the largest camera once
    batches = s.batches()
    seen = set()
    for b in batches:
        trk = np.array([g for g, _, _ in b])
        assert len(b) == 24
        per_cam = np.bincount(idx.camera_of[trk], minlength=3)
        assert per_cam.tolist() == [8, 8, 8]  # 2 tracklets x 4 frames from every camera
        seen.update(trk[idx.camera_of[trk] == 0].tolist())
    assert seen == set(range(10))
    assert np.array_equal(s.batches(), batches)  # deterministic for (seed, epoch)
    s.set_epoch(1)
    assert not np.array_equal(s.batches(), batches)
    for b in batches:  # each draw of a tracklet: 4 of its own crops, distinct where it has 4 or more
        for draw in b.reshape(-1, 4, 3):
            g = draw[0, 0]
            assert (draw[:, 0] == g).all()
            start, cnt = idx.crop_start[g], idx.crop_count[g]
            assert ((draw[:, 1] >= start) & (draw[:, 1] < start + cnt)).all()
            assert cnt < 4 or len(np.unique(draw[:, 1])) == 4
    hard = hard_labels(idx.camera_slices)
    assert hard.index.flatten().tolist() == [*range(10), *range(3), *range(5)]


def test_augmentation_is_seeded_and_keeps_the_image_shape():
    from reid.utal.sampler import Augment

    img = np.random.default_rng(0).integers(0, 255, (64, 32, 3), dtype=np.uint8)
    aug = Augment(erasing=1.0, jitter=0.3)
    a = aug(img, np.random.default_rng(7))
    b = aug(img, np.random.default_rng(7))
    assert a.shape == img.shape and a.dtype == np.uint8 and np.array_equal(a, b)  # a resumed run sees the same
    assert not np.array_equal(a, img)
    assert np.array_equal(Augment()(img, np.random.default_rng(7)), img)  # off: untouched


def test_frames_drawn_distinct_and_uniform():
    from reid.utal.sampler import _draw_frames

    rng = np.random.default_rng(0)
    count = np.array([6] * 20000 + [2] * 5000)
    p = _draw_frames(rng, count, 4)
    many, few = p[:20000], p[20000:]
    assert all(len(set(r)) == 4 for r in many[:2000])  # without replacement where there are enough
    assert np.allclose(np.bincount(many.ravel(), minlength=6) / many.size, 1 / 6, atol=0.01)
    assert set(np.unique(few)) == {0, 1}  # with replacement where fewer


def test_refresh_without_camera_norm_makes_one_neighbour_pass(monkeypatch):
    """Labels and pairs search the same features when camera norm is off: one pass serves both, and
    gives what two separate passes give."""
    import reid.utal.cross_camera as cross_mod
    import reid.utal.soft_labels as soft_mod
    from reid.utal.config import LearnConfig
    from reid.utal.label_update import LabelUpdate

    g = torch.Generator().manual_seed(0)
    s = torch.nn.functional.normalize(torch.randn(60, 16, generator=g), dim=1)
    cams = np.repeat([0, 1, 2], 20)
    slices = [slice(0, 20), slice(20, 40), slice(40, 60)]
    idx = TrackletIndex(["a", "b", "c"], slices, cams, np.tile(np.arange(20), 3), np.zeros(60, np.int64),
                        np.ones(60, np.int64), np.full(60, -1), np.arange(60) * 10, np.arange(60) * 10 + 5)
    cfg = LearnConfig(camera_norm=False, k=3)
    want_labels = compute_soft_labels(s, slices, 3)
    want_pairs = cross_camera_matches(s, torch.as_tensor(cams))

    def refuse(*args, **kwargs):
        raise AssertionError("a second neighbour pass")

    monkeypatch.setattr(soft_mod, "camera_neighbours", refuse)
    monkeypatch.setattr(cross_mod, "camera_neighbours", refuse)
    labels, pairs, _ = LabelUpdate(cfg, idx, torch.tensor([0, 20, 40]), None)(s, cfg.ccta_first_epoch)
    assert torch.equal(labels.index, want_labels.index) and torch.allclose(labels.weight, want_labels.weight)
    assert pairs is not None and torch.equal(pairs, want_pairs)


def test_learn_says_what_the_preset_and_the_starting_weights_chose():
    """A run starting from a downloaded model trains 10 epochs where the cpu preset says 20: the log
    says so and why; what flags set is not claimed by a preset."""
    from reid.utal.config import preset_notes

    notes = preset_notes("cpu", "osnet.onnx", "utal", set())
    assert len(notes) == 2 and "epochs 20" not in notes[0]  # the preset's 20 is replaced: not claimed
    assert "fine-tunes" in notes[1] and "epochs 10" in notes[1] and "from the ONNX graph" in notes[1]
    assert "epochs 40" in preset_notes("cpu", "imagenet", "contrast", set())[1]
    assert not any(f"epochs {e}" in n for n in preset_notes("cpu", "osnet.onnx", "contrast", {"epochs"})
                   for e in (10, 20, 40))
    assert preset_notes(None, "imagenet", "utal", set()) == []


@pytest.mark.parametrize("single_task", [False, True])
def test_imprinted_heads_start_at_each_tracklets_memory(single_task):
    from reid.models.network import ModelConfig
    from reid.utal.model import UTALNet

    torch.manual_seed(0)
    net = UTALNet(ModelConfig("mobilenet_v2", None, 16), [3, 2], single_task=single_task)
    memory = torch.randn(5, 16) * 4
    net.imprint_heads(memory, temperature=0.1)
    rows = torch.cat([h.weight for h in net.heads])
    # each row is its tracklet's memory vector, in the training index's order (cameras contiguous)
    assert torch.allclose(torch.nn.functional.normalize(rows, dim=1), torch.nn.functional.normalize(memory, dim=1),
                          atol=1e-6)
    # a frame at a tracklet's memory vector scores its own class highest, at about cos / temperature
    mean_sq = float(memory.norm(dim=1).mean()) ** 2
    for i, head in ((0, net.heads[0]), (4, net.heads[-1])):
        logits = head(memory[i:i + 1])[0].detach()
        own = i if single_task or i < 3 else i - 3
        assert int(logits.argmax()) == own
        assert float(logits[own]) == pytest.approx(float(memory[i].norm()) ** 2 / (0.1 * mean_sq), rel=1e-4)
