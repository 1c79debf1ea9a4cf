"""The second learner (reid/contrast/): constrained identities, camera-aware proxies, and a run
of `pipeline learn --learner contrast`."""
from __future__ import annotations

import json

import numpy as np
import torch

from pipeline.cli import main
from reid.contrast.clusters import cluster_tracklets, mutual_pairs
from reid.contrast.objective import link_stats
from reid.contrast.proxies import CameraProxies
from tests.helpers import write_reid_store
from tests.reid.test_learn import FAST


def _points(*rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_mutual_pairs_across_cameras_only():
    f = _points([0, 0], [0.1, 0], [5, 5], [5.1, 5])
    cams = torch.tensor([0, 1, 0, 1])
    i, j, _ = mutual_pairs(f, cams, 1, across=True)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (2, 3)]
    # within a camera the nearest same-camera tracklet of 0 is 2 (and of 2 is 0)
    i, j, _ = mutual_pairs(f, cams, 1, across=False)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 2), (1, 3)]


def test_time_overlap_is_a_cannot_link():
    # tracklets 0 and 1: one camera, overlapping frames, both nearest to tracklet 2 of camera 1
    f = _points([0, 0], [0.05, 0], [0.02, 0], [9, 9])
    cams = np.array([0, 0, 1, 1])
    first, last = np.array([0, 5, 0, 0]), np.array([10, 20, 10, 10])
    labels = cluster_tracklets(f, cams, first, last, time_known=True, k=2)
    assert labels[0] != labels[1]  # seen at once in one view: two people
    assert labels[2] in (labels[0], labels[1])
    # apart in time, the two fragments may be one person (joined through each other or camera 1)
    first2, last2 = np.array([0, 30, 0, 0]), np.array([10, 40, 10, 10])
    labels = cluster_tracklets(f, cams, first2, last2, time_known=True, k=2)
    assert labels[0] == labels[1] == labels[2] and labels[3] != labels[0]


def test_unknown_time_keeps_one_tracklet_per_camera():
    rng = np.random.default_rng(0)
    f = torch.as_tensor(rng.normal(size=(40, 8)), dtype=torch.float32)
    cams = np.repeat([0, 1, 2], [14, 13, 13])
    zeros = np.zeros(40, np.int64)
    labels = cluster_tracklets(f, cams, zeros, zeros + 3, time_known=False, k=3)
    for c in np.unique(labels):
        members = cams[labels == c]
        assert len(members) == len(set(members.tolist()))
    assert len(np.unique(labels)) < 40  # something was joined


def test_proxies_one_per_identity_and_camera():
    memory = _points([1, 0], [1, 0.1], [0, 1], [0, 1])
    p = CameraProxies.build(memory, np.array([0, 0, 1, 2]), np.array([0, 1, 0, 0]))
    assert len(p.features) == 4 and p.multi_camera.tolist() == [True, True, False, False]
    assert torch.allclose(p.features.norm(dim=1), torch.ones(4))
    # the same identity and camera: one proxy, the mean of its rows
    q = CameraProxies.build(memory, np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]))
    assert len(q.features) == 2 and q.of_tracklet.tolist() == [0, 0, 1, 1]


def test_losses_prefer_the_own_proxy_and_identity():
    memory = _points([1, 0], [0.9, 0.1], [0, 1], [-1, 0])
    p = CameraProxies.build(memory, np.array([0, 0, 1, 2]), np.array([0, 1, 0, 1]))
    g, cam = torch.tensor([0]), torch.tensor([0])
    near, far = _points([1, 0]), _points([0, 1])
    assert p.intra_loss(near, g, cam, 0.1) < p.intra_loss(far, g, cam, 0.1)
    near_inter, used = p.inter_loss(near, g, 0.1, 50)
    far_inter, _ = p.inter_loss(far, g, 0.1, 50)
    assert used == 1 and near_inter < far_inter
    # an identity seen by one camera has no inter-camera term
    assert p.inter_loss(near, torch.tensor([2]), 0.1, 50)[1] == 0
    # the loss has a gradient towards the proxies
    x = far.clone().requires_grad_(True)
    (p.intra_loss(x, g, cam, 0.1) + p.inter_loss(x, g, 0.1, 50)[0]).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_proxy_update_moves_towards_the_batch():
    p = CameraProxies.build(_points([1, 0], [0, 1]), np.array([0, 1]), np.array([0, 0]), momentum=0.5)
    p.update(torch.tensor([0, 0]), _points([0, 1], [0, 1]))
    assert torch.allclose(p.features[0], torch.tensor([0.7071, 0.7071]), atol=1e-4)
    assert torch.allclose(p.features[1], torch.tensor([0.0, 1.0]))


def test_link_stats_counts_cross_camera_pairs():
    stats = link_stats(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 1, 0]), torch.tensor([5, 5, 6, 7, 8]))
    assert stats["pairs"] == 2 and stats["matched_tracklets"] == 4 and stats["pair_precision"] == 0.5


def test_learn_with_the_contrast_learner(tmp_path):
    store = write_reid_store(tmp_path / "s.h5")
    out = tmp_path / "m"
    assert main(["learn", str(store), "-o", str(out), "--epochs", "3", "--learner", "contrast", *FAST]) == 0
    rows = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines() if l.strip()]
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3]
    assert rows[1]["ccta_active"] is False and rows[1]["inter"] == 0 and rows[1]["intra"] > 0
    assert rows[3]["ccta_active"] is True and rows[3]["multi_camera_identities"] > 0 and rows[3]["pairs"] > 0
    assert "eval_mAP" in rows[3] and (out / "model.pt").exists() and (out / "embedder.onnx").exists()
    # the learned model is a model like any other: merge takes it
    assert main(["merge", str(store), "--model", str(out), "-o", str(tmp_path / "merged"), "-q"]) == 0


def test_contrast_learner_resumes_exactly(tmp_path):
    """A run stopped after its second epoch and resumed ends where an uninterrupted run ends: the
    proxies are rebuilt from the checkpointed memory, so nothing of the learner is lost."""
    import pytest

    from reid.engine.hooks import Hook, default_hooks
    from reid.engine.trainer import Trainer
    from reid.utal.config import LearnConfig

    store = write_reid_store(tmp_path / "s.h5", identities=5)
    cfg = LearnConfig(learner="contrast", backbone="mobilenet_v2", pretrained="none", embed_dim=32, input_height=64,
                      input_width=32, batch_size=24, epochs=4, workers=0)

    class Stop(Hook):
        def after_epoch(self, trainer, epoch, record):
            if epoch == 1:
                raise KeyboardInterrupt

    Trainer(store, tmp_path / "ref", cfg, progress=False, log=lambda m: None).fit()
    hooks = default_hooks()
    with pytest.raises(KeyboardInterrupt):
        Trainer(store, tmp_path / "run", cfg, progress=False, log=lambda m: None,
                    hooks=[*hooks[:3], Stop(), hooks[3]]).fit()
    Trainer(store, tmp_path / "run", cfg, resume=True, progress=False, log=lambda m: None).fit()

    def last(out):
        return [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines() if l.strip()][-1]

    a, b = last(tmp_path / "ref"), last(tmp_path / "run")
    assert a["epoch"] == b["epoch"] == 4
    for key in ("intra", "inter", "eval_mAP", "pairs", "identities"):
        assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-7), key


def test_cpu_preset_gives_the_contrast_learner_its_longer_schedule():
    from reid.utal.config import LearnConfig

    assert LearnConfig.from_preset("cpu", learner="contrast").epochs == 40
    assert LearnConfig.from_preset("cpu").epochs == 20
    assert LearnConfig.from_preset("cpu", learner="contrast", epochs=5).epochs == 5  # flags win


def test_the_refresh_reads_the_shared_camera_search_exact_or_approximate():
    """The per-epoch identities come from the camera search every stage shares: exact (the same
    identities as an all-pairs search) below its threshold, faiss IVF-PQ past it, where they agree
    with the exact ones on nearly every pair of tracklets (tools/bench_refresh.py: 100k tracklets
    in 18 s against 101 s all-pairs)."""
    from reid.neighbours.config import NeighbourConfig

    rng = np.random.default_rng(0)
    who, cams = rng.integers(0, 300, 1600), rng.integers(0, 4, 1600)
    f = torch.from_numpy(rng.standard_normal((300, 64), dtype=np.float32))[who] + torch.from_numpy(
        rng.standard_normal((1600, 64), dtype=np.float32)) * 0.3
    first = rng.integers(0, 5000, 1600)
    last = first + 20
    exact = cluster_tracklets(f, cams, first, last, True, 1, search=NeighbourConfig(method="exact"))
    approx = cluster_tracklets(f, cams, first, last, True, 1,
                               search=NeighbourConfig(method="approximate", project_to=16, candidates=16))
    a, b = rng.integers(0, 1600, (2, 20000))
    agree = ((exact[a] == exact[b]) == (approx[a] == approx[b])).mean()
    together = exact[a] == exact[b]
    assert agree > 0.99 and (approx[a] == approx[b])[together].mean() > 0.9
