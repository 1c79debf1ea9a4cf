from __future__ import annotations

import numpy as np
import pytest

from reid.eval.rank_metrics import evaluate_distmat, evaluate_features, reference_rank_metrics


def _problem(rng, nq, ng, ids, junk=0.1, cams=3):
    qp = rng.integers(0, ids, nq)
    gp = rng.integers(0, ids, ng)
    gp[rng.random(ng) < junk] = -1
    return qp, rng.integers(0, cams, nq), gp, rng.integers(0, cams, ng)


def _agree(a, b):
    assert a.num_queries == b.num_queries and a.num_skipped == b.num_skipped
    assert np.allclose(a.cmc, b.cmc, atol=1e-6)
    assert a.mAP == pytest.approx(b.mAP, abs=1e-6) and a.mINP == pytest.approx(b.mINP, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_with_ties_and_empty_queries(seed):
    rng = np.random.default_rng(seed)
    qp, qc, gp, gc = _problem(rng, 60, 300, ids=40 if seed % 2 else 150)
    D = rng.random((60, 300))
    if seed >= 3:
        D = np.round(D * 8) / 8  # heavy ties
    ours = evaluate_distmat(D, qp, qc, gp, gc, g_junk=gp == -1, chunk=7)
    ref = reference_rank_metrics(D, qp, qc, gp, gc, g_junk=gp == -1)
    _agree(ours, ref)
    if seed % 2 == 0:
        assert ours.num_skipped > 0  # many queries have no valid match: excluded and counted


def test_hand_computed_case():
    # one query (pid 1, cam 0); gallery ordered by distance: neg, pos, same-cam pos (excluded), neg, pos
    D = np.array([[0.1, 0.2, 0.25, 0.3, 0.4]])
    gp = np.array([2, 1, 1, 3, 1])
    gc = np.array([1, 1, 0, 1, 2])
    r = evaluate_distmat(D, np.array([1]), np.array([0]), gp, gc)
    # valid order: neg, pos(rank 2), neg, pos(rank 4): AP = (1/2 + 2/4) / 2; INP = 2/4
    assert r.rank(1) == 0 and r.rank(2) == 1
    assert r.mAP == pytest.approx(0.5) and r.mINP == pytest.approx(0.5)


def test_features_path_equals_distmat_path():
    rng = np.random.default_rng(3)
    qf, gf = rng.standard_normal((30, 16)), rng.standard_normal((200, 16))
    qp, qc, gp, gc = _problem(rng, 30, 200, ids=20)
    D = np.sqrt(((qf[:, None] - gf[None]) ** 2).sum(-1))
    _agree(evaluate_features(qf, gf, qp, qc, gp, gc, g_junk=gp == -1),
           reference_rank_metrics(D, qp, qc, gp, gc, g_junk=gp == -1))
