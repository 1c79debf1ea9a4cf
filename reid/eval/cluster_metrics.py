"""Clustering agreement with ground truth: NMI and pairwise precision/recall.

NMI is a few lines over the contingency table (scipy has no NMI and scikit-learn is not a
dependency of this project); it uses the arithmetic-mean normalisation, scikit-learn's default,
so numbers compare with the paper's Table 6.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def nmi(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = np.asarray(truth), np.asarray(pred)
    if len(truth) == 0:
        return float("nan")
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(pred, return_inverse=True)
    c = coo_matrix((np.ones(len(t)), (t, p))).toarray()
    n = c.sum()
    ht, hp = _entropy(c.sum(1)), _entropy(c.sum(0))
    if ht == 0 and hp == 0:
        return 1.0
    nz = c > 0
    pij = c[nz] / n
    pi = (c.sum(1, keepdims=True) / n).repeat(c.shape[1], 1)[nz]
    pj = (c.sum(0, keepdims=True) / n).repeat(c.shape[0], 0)[nz]
    mi = float((pij * np.log(pij / (pi * pj))).sum())
    return mi / ((ht + hp) / 2) if ht + hp > 0 else 0.0


def pairwise_precision_recall(truth: np.ndarray, pred: np.ndarray, pair_mask=None) -> dict:
    """Precision/recall of 'same cluster' over item pairs (optionally only the pairs that
    ``pair_mask(i_idx, j_idx)`` keeps, e.g. cross-camera pairs), counted through the contingency
    table without enumerating pairs when no mask is given."""
    truth, pred = np.asarray(truth), np.asarray(pred)
    n = len(truth)
    if pair_mask is None:
        _, t = np.unique(truth, return_inverse=True)
        _, p = np.unique(pred, return_inverse=True)
        c = coo_matrix((np.ones(n), (t, p))).toarray()
        both = (c * (c - 1) / 2).sum()
        pred_pairs = (np.bincount(p) * (np.bincount(p) - 1) / 2).sum()
        true_pairs = (np.bincount(t) * (np.bincount(t) - 1) / 2).sum()
    else:
        i, j = np.triu_indices(n, 1)
        keep = pair_mask(i, j)
        i, j = i[keep], j[keep]
        same_t, same_p = truth[i] == truth[j], pred[i] == pred[j]
        both, pred_pairs, true_pairs = (same_t & same_p).sum(), same_p.sum(), same_t.sum()
    prec = float(both / pred_pairs) if pred_pairs else float("nan")
    rec = float(both / true_pairs) if true_pairs else float("nan")
    return {"precision": prec, "recall": rec, "predicted_pairs": int(pred_pairs), "true_pairs": int(true_pairs)}
