"""Cross-camera matching: ranked matches for every tracklet, and global identities.

Global identities link tracklets of different cameras that are each other's nearest neighbour
(mutual NN per camera pair), strongest first, unless farther apart than a cut read from the data,
and never put into one identity two tracklets that overlap in time (one person is not in two
places at once; camera clocks are taken as synchronised) unless their cameras watch one place.
Within-camera trajectories from `merge` can seed the identities. docs/association.md has the
measurements.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.association.distance_cut import mixture_cuts
from reid.association.fused import calibrate, fused_links, fused_pairs
from reid.association.group_centroids import GroupCentroids
from reid.association.union_find import TimedUnionFind
from reid.neighbours.search import CameraNeighbours, exact_camera_neighbours
from reid.neighbours.topk import topk_neighbours
from reid.spacetime.likelihood import SpaceTimePrior

# the other-camera neighbours each tracklet's mutual links are read from: two tracklets link when
# each is the other's nearest of its camera among these (with fewer cameras than this, the same as
# searching every camera pair on its own)
LINK_NEIGHBOURS = 10


@dataclass
class RankedMatches:
    index: np.ndarray  # (N, k) global tracklet indices in other cameras, -1 padding
    distance: np.ndarray  # (N, k) Euclidean distances


def ranked_matches(features: torch.Tensor, camera_of: np.ndarray, k: int = 10,
                   neighbours: CameraNeighbours | None = None) -> RankedMatches:
    """Every tracklet's ``k`` nearest tracklets of other cameras (from ``neighbours`` when the pass
    was made already)."""
    if neighbours is None or neighbours.across_idx.shape[1] < k:
        neighbours = exact_camera_neighbours(features, camera_of, 0, k)
    idx, d2 = neighbours.across_idx[:, :k], neighbours.across_d2[:, :k]
    return RankedMatches(idx.cpu().numpy(), d2.clamp_min(0).sqrt().cpu().numpy())


def _seed(sets: TimedUnionFind, seed_labels: np.ndarray) -> None:
    """Tracklets sharing a seed label into one set."""
    order = np.argsort(seed_labels, kind="stable")
    lab = seed_labels[order]
    starts = np.r_[True, lab[1:] != lab[:-1]]  # the first tracklet of each trajectory
    head = order[np.maximum.accumulate(np.where(starts, np.arange(len(lab)), 0))]
    for m, h in zip(order[~starts], head[~starts]):
        sets.union(int(h), int(m))


def _cuts(links: list[tuple[int, float, int, int]], max_distance: float | None,
          distance_cut: str) -> tuple[float | None, float | None]:
    """(pair cut, group cut): ``max_distance`` for both when given, else read from the pairs'
    distances when ``distance_cut`` is auto."""
    if max_distance is None and distance_cut == "auto":
        cuts = mixture_cuts(np.array([d for tier, d, _, _ in links if tier == 1]))
        if cuts is not None:
            return cuts.pair, cuts.group
    return max_distance, max_distance


# noqa reason: the features and the four per-tracklet facts (camera, span, seed) plus the switches
def global_identities(features: torch.Tensor, camera_of: np.ndarray,  # noqa: PLR0913, C901
                      first: np.ndarray, last: np.ndarray,
                      seed_labels: np.ndarray | None = None, max_distance: float | None = None,
                      time_constraint: bool = True, coexist: np.ndarray | None = None,
                      distance_cut: str = "none",
                      neighbours: CameraNeighbours | None = None,
                      judge_groups: bool = False, prior: SpaceTimePrior | None = None) -> tuple[np.ndarray, dict]:
    """(N,) global identity per tracklet and link statistics.

    ``seed_labels``: within-camera trajectory labels unique across cameras (from merge); tracklets
    sharing one start in one identity. Cross-camera links: mutual nearest neighbours between each
    pair of cameras, by ascending distance, skipping links that would join overlapping tracklets.
    ``coexist[a, b]``: cameras a and b see one place (overlapping views): tracklets of theirs that
    overlap in time may be one person, and being seen at once is evidence for it: the mutual
    nearest neighbours among the tracklets seen at once are linked before any other link.
    ``max_distance`` drops pairs farther apart; without it, ``distance_cut="auto"`` reads one from
    the pairs' distances (`distance_cut.mixture_cuts`). ``judge_groups``: a link into a group of two
    or more is also refused when the groups' mean features are farther apart than the group cut
    (`group_centroids`). ``neighbours``: the network's neighbour pass, made already
    (`reid.neighbours.search`). ``prior``: the learnt camera network; where it has routes, links
    are decided by the fused same-person odds (`fused`) on its corrected clocks, and the cameras it
    found watching one place are the overlapping ones.
    """
    cams = np.asarray(camera_of)
    if neighbours is None or neighbours.across_idx.shape[1] < LINK_NEIGHBOURS:
        neighbours = exact_camera_neighbours(features, cams, 0, LINK_NEIGHBOURS)
    mixture = None
    if prior is not None and prior.active and max_distance is None and distance_cut == "auto":
        mixture = calibrate(neighbours, cams, prior)
    fused_stats: dict = {}
    if prior is not None and prior.active and mixture is None:
        fused_stats["why_appearance_only"] = ("--max-distance or --distance-cut none given" if max_distance is not None
                                              or distance_cut != "auto" else "the confident matches' distances give no "
                                              "two groups to calibrate appearance with")
    if mixture is not None and prior is not None:
        first, last = prior.first, prior.last
        coexist = prior.coexist if prior.coexist.any() else None
        pairs = fused_pairs(neighbours, mixture, prior)
        cut = float(mixture.log_odds(mixture.far_mean))
        links = fused_links(pairs, cams, cut)
        group_cut = float(min(mixture.far_mean, mixture.mean[0] + 2 * mixture.sd[0]))
        fused_stats = {"decided_by": "appearance x space-time", "min_log_odds": cut,
                       "pairs_impossible": int(np.isinf(pairs.spacetime).sum()), "candidate_pairs": len(pairs.i)}
    else:
        links = candidate_links(features.float(), cams, np.asarray(first), np.asarray(last), coexist, neighbours)
        max_distance, group_cut = _cuts(links, max_distance, distance_cut)
    path_ok = prior.path_ok if mixture is not None and prior is not None else None
    sets = TimedUnionFind(first, last, time_veto=time_constraint, camera_of=cams, coexist=coexist, path_ok=path_ok)
    if seed_labels is not None:
        _seed(sets, np.asarray(seed_labels))
    made = refused = too_far = at_once = groups_apart = 0
    groups, group_limit = None, 0.0
    if judge_groups and group_cut is not None:
        group_limit = group_cut
        groups = GroupCentroids(features.detach().float().cpu().numpy())
        if seed_labels is not None:
            groups.seed(sets.roots())
    for tier, d, i, j in links:
        if max_distance is not None and d > max_distance:
            too_far += 1
            continue
        ri, rj = sets.find(i), sets.find(j)
        if ri == rj:  # already one identity (a seed or an earlier link)
            continue
        if groups is not None and tier == 1 and groups.grouped(ri, rj) and groups.distance(ri, rj) > group_limit:
            groups_apart += 1
        elif sets.union(i, j):
            made += 1
            at_once += tier == 0
            if groups is not None:
                groups.join(ri, rj)
        else:
            refused += 1
    _, labels = np.unique(sets.roots(), return_inverse=True)
    stats = {"mutual_links": len(links), "links_made": made, "links_refused_time_overlap": refused,
             "links_over_distance": too_far, "links_groups_apart": groups_apart, "max_distance": max_distance,
             "max_group_distance": group_cut if groups is not None else None,
             "decided_by": "appearance", **fused_stats}
    if coexist is not None:
        stats["links_made_seen_at_once"] = at_once
    return labels.astype(np.int64), stats


# noqa reason: the features, the three per-tracklet facts, the overlapping pairs and the neighbour pass
def candidate_links(f: torch.Tensor, cams: np.ndarray, first: np.ndarray, last: np.ndarray,  # noqa: PLR0913
                    coexist: np.ndarray | None, neighbours: CameraNeighbours) -> list[tuple[int, float, int, int]]:
    """(tier, distance, i, j) of every camera pair's mutual nearest neighbours, in the order they
    are tried: tier 0 (overlapping views only: the mutual neighbours among tracklets seen at once)
    before tier 1 (all mutual neighbours, read from the neighbour pass), nearest first within a tier."""
    dist, li, lj = neighbours.mutual_across(cams)
    links: list[tuple[int, float, int, int]] = [(1, float(x), int(a), int(b)) for x, a, b in zip(dist, li, lj)]
    if coexist is None:
        return sorted(links)
    cam_ids = np.unique(cams)
    t_first, t_last = torch.as_tensor(first), torch.as_tensor(last)
    for ai, a in enumerate(cam_ids):
        ia = np.flatnonzero(cams == a)
        for b in cam_ids[ai + 1:]:
            ib = np.flatnonzero(cams == b)
            if coexist[a, b]:
                fa, la, fb, lb = t_first[ia], t_last[ia], t_first[ib], t_last[ib]

                def apart(r, c, fa=fa, la=la, fb=fb, lb=lb):  # pairs not seen at once are left out
                    return ~((fa[r][:, None] <= lb[c][None, :]) & (fb[c][None, :] <= la[r][:, None]))

                links += [(0, d, i, j) for d, i, j in _mutual_pairs(f, ia, ib, apart)]
    return sorted(links)


def _mutual_pairs(f: torch.Tensor, ia: np.ndarray, ib: np.ndarray, block_mask=None) -> list[tuple[float, int, int]]:
    """(distance, i, j) of the mutual nearest neighbours between rows ``ia`` and ``ib`` of ``f``
    (global indices), optionally among the pairs ``block_mask`` leaves in."""
    dab, nab_t = topk_neighbours(f[ia], 1, y=f[ib], block_mask=block_mask)
    back = None if block_mask is None else (lambda r, c: block_mask(c, r).T)
    _, nba_t = topk_neighbours(f[ib], 1, y=f[ia], block_mask=back)
    nab, nba = nab_t[:, 0].cpu().numpy(), nba_t[:, 0].cpu().numpy()
    ok = nab >= 0
    mutual = np.zeros(len(ia), bool)
    mutual[ok] = nba[nab[ok]] == np.flatnonzero(ok)
    return [(float(dab[i, 0].sqrt()), int(ia[i]), int(ib[nab[i]])) for i in np.flatnonzero(mutual)]
