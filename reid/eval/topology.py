"""Scores of a learnt camera network against a world's true topology, and of identities at the
level of tracklets; for benchmarks and tests only (the truth is never seen by the learner)."""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from reid.spacetime.topology import Topology


def score_topology(topo: Topology, truth: dict) -> dict:
    """Link precision / recall over undirected camera pairs; per true link found, the relative
    error of the learnt transit (the median of both directions' lags less the clocks' difference)
    against the true median; the clock offsets' errors relative to the first camera; and whether
    each true shared view was found."""
    names = topo.cameras
    pos = {n: k for k, n in enumerate(names)}
    true_links = {tuple(sorted(link["cameras"])): link["median_transit_s"] for link in truth["links"]}
    found: dict[tuple[str, ...], list[float]] = {}
    for r in topo.links():
        found.setdefault(tuple(sorted((names[r.source], names[r.target]))), []).append(float(r.transit or 0.0))
    hits = set(found) & set(true_links)
    errors = [abs(np.median(found[k]) - true_links[k]) / true_links[k] for k in hits]
    shared_true = {tuple(sorted(p)) for p in truth.get("overlapping", [])}
    shared_found = {tuple(sorted((names[r.source], names[r.target]))) for r in topo.routes() if r.kind == "overlap"}
    true_off = np.array([truth["offsets_s"][n] for n in names])
    est = topo.offsets - topo.offsets[pos[names[0]]]
    off_err = np.abs(est - (true_off - true_off[0]))[topo.offset_known & (topo.group == topo.group[0])]
    return {"link_precision": len(hits) / max(len(found), 1), "link_recall": len(hits) / max(len(true_links), 1),
            "links_found": len(found), "links_true": len(true_links),
            "transit_median_error": float(np.median(errors)) if errors else None,
            "transit_worst_error": float(np.max(errors)) if errors else None,
            "offset_error_s": float(off_err.max()) if len(off_err) else None,
            "offset_median_error_s": float(np.median(off_err)) if len(off_err) else None,
            "offsets_known": int(len(off_err)), "overlap_found": bool(shared_true) and shared_true <= shared_found,
            "overlap_false": len(shared_found - shared_true)}


def tracklet_idf1(truth: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> float:
    """Identity F1 where each tracklet is ``weight`` detections (its frames or seconds) of one true
    person given one predicted identity: the multi-camera IDF1 of perfect boxes, so that only who
    is who counts. True and predicted identities are matched one to one maximising shared weight
    (a sparse bipartite matching: a million tracklets fit)."""
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(labels, return_inverse=True)
    key = t.astype(np.int64) * (p.max() + 1) + p
    uniq, inv = np.unique(key, return_inverse=True)
    shared = np.bincount(inv, weights=weight)
    rows, cols = uniq // (p.max() + 1), uniq % (p.max() + 1)
    nt, npred = int(t.max()) + 1, int(p.max()) + 1
    # a full matching needs every row matched: pad with zero-weight dummy columns (cost big - shared)
    big = float(shared.max()) + 1.0
    cost = coo_matrix((np.r_[big - shared, np.full(nt, big)],
                       (np.r_[rows, np.arange(nt)], np.r_[cols, npred + np.arange(nt)])),
                      shape=(nt, npred + nt)).tocsr()
    r, c = min_weight_full_bipartite_matching(cost)
    matched = c < npred
    got = np.asarray(cost[r[matched], c[matched]]).ravel()
    idtp = float((big - got).sum())
    return idtp / float(weight.sum())
