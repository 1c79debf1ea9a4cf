"""Association over a whole camera network: merge within every camera (trajectories, Table 6)
and match across cameras (global identities), on tracklet features in a TrackletIndex's order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from reid.association.config import MatchConfig, MergeConfig
from reid.association.continuation import APPEARANCE_CANDIDATES, CameraTracklets, link_network
from reid.association.match import LINK_NEIGHBOURS, RankedMatches, global_identities, ranked_matches
from reid.association.merge import MergeResult, merge_tracklets
from reid.association.views import ViewEvidence, decide_views
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.tracklet_index import TrackletIndex

if TYPE_CHECKING:
    from reid.eval.association import MatchScores, MergeScores
    from reid.spacetime.likelihood import SpaceTimePrior
    from reid.spacetime.topology import Topology


@dataclass
class Trajectories:
    """Merge's result: a trajectory label per tracklet, unique across cameras, and per-camera
    counts (tracklets, mergeable, long_trajectories, trajectories, links, links cut)."""

    labels: np.ndarray  # (N,) in the index's tracklet order
    cameras: list[dict]
    index: TrackletIndex  # which tracklet each row is (camera, tracklet within it, frames)
    neighbours: dict  # how they were found: method, and recall against exact where approximate
    scores: MergeScores | None = None  # against ground truth (tracklet_reid.merge fills it in)


@dataclass
class Identities:
    """Match's result: a global identity per tracklet, the link statistics, and every
    tracklet's ranked matches in other cameras."""

    labels: np.ndarray  # (N,) 0..G-1
    stats: dict  # mutual_links, links_made, links_refused_time_overlap, links_over_distance
    ranked: RankedMatches
    index: TrackletIndex
    scores: MatchScores | None = None  # against ground truth (tracklet_reid.match fills it in)
    topology: Topology | None = None  # the camera network the identities were decided with
    prior: SpaceTimePrior | None = None

    @property
    def count(self) -> int:
        return int(self.labels.max(initial=-1)) + 1


def merge_cameras(features: torch.Tensor, index: TrackletIndex, cfg: MergeConfig = MergeConfig(),
                  neighbours: CameraNeighbours | None = None, thirds: torch.Tensor | None = None) -> Trajectories:
    """Per-camera trajectory labels made unique across cameras, and per-camera summaries.
    ``neighbours``: the network's neighbour pass when match made it already. ``thirds``: (N, 2, D)
    each tracklet's first and last third (`embed_store(thirds=True)`), which the continuation rule
    learns one person's distances from; without them, or where frame numbers are not time
    (imported benchmarks), the affinity rule runs, and each camera's summary says which ran."""
    cfg.validate()
    rule = cfg.link if thirds is not None and index.frames_are_time else "affinity"
    k = cfg.within_k(rule)
    if neighbours is None or neighbours.within_idx.shape[1] < k:
        neighbours = camera_neighbours(features, index.camera_of, k, 0, cfg.search)
    first, last = index.spans()
    if rule == "continuation":
        assert thirds is not None
        per_camera = _continuation(features, thirds, index, neighbours, first, last)
    else:
        per_camera = []
        for sl in index.camera_slices:
            r = merge_tracklets(None, first[sl], last[sl], cfg.affinity_k, cfg.threshold,
                                time_veto=index.frames_are_time,
                                neighbours=neighbours.within_camera(sl, cfg.affinity_k))
            per_camera.append((r, {}))
    labels = np.zeros(index.num_tracklets, np.int64)
    base = 0
    summaries = []
    for c, (sl, (r, extra)) in enumerate(zip(index.camera_slices, per_camera)):
        labels[sl] = r.labels + base
        base += int(r.labels.max(initial=-1)) + 1
        summaries.append({"camera": index.cameras[c], "rule": rule, **r.summary(), **extra})
    return Trajectories(labels, summaries, index, neighbours.summary())


# noqa reason: the features, their thirds, the index and the neighbour pass merge made, and the
# spans it compares (seconds where every camera has a clock, so pooled cameras share one unit)
def _continuation(features: torch.Tensor, thirds: torch.Tensor, index: TrackletIndex,  # noqa: PLR0913
                  neighbours: CameraNeighbours, first: np.ndarray, last: np.ndarray) -> list[tuple[MergeResult, dict]]:
    """Each camera's `continuation.link_network` result as merge reports it."""
    unit = torch.nn.functional.normalize(features.double(), dim=1).numpy()
    ends = torch.nn.functional.normalize(thirds.double(), dim=2).numpy()  # NaN stays NaN
    unknown = np.full((index.num_tracklets, 2), np.nan)
    entry = unknown if index.entry is None else index.entry
    exit_ = unknown if index.exit is None else index.exit
    cams: list[CameraTracklets] = []
    nbs: list[np.ndarray | None] = []
    for sl in index.camera_slices:
        cams.append(CameraTracklets(unit[sl], ends[sl], first[sl], last[sl], entry[sl], exit_[sl]))
        nbs.append(neighbours.within_camera(sl, APPEARANCE_CANDIDATES)[1].cpu().numpy())
    # no link joins tracklets that overlap in time (chains), so none is ever cut for it
    return [(MergeResult(r.labels, r.links, 0), {"candidates": r.candidates, "continuation_share": round(r.share, 4),
                                                 "densities": r.model}) for r in link_network(cams, nbs)]


def network_neighbours(features: torch.Tensor, index: TrackletIndex, cfg: MatchConfig = MatchConfig(),
                       k_within: int | None = None) -> CameraNeighbours:
    """The one neighbour pass match (and the merge seeding it) reads: ``k_within`` own-camera
    neighbours (default: merge's K) and the other-camera ones ranked lists and links need."""
    k_within = cfg.merge.within_k() if k_within is None else k_within
    return camera_neighbours(features, index.camera_of, k_within, max(cfg.topk, LINK_NEIGHBOURS), cfg.merge.search)


def match_cameras(features: torch.Tensor, index: TrackletIndex, cfg: MatchConfig = MatchConfig(),
                  across: torch.Tensor | None = None, neighbours: CameraNeighbours | None = None,
                  thirds: torch.Tensor | None = None) -> Identities:
    """Global identities (seeded with merge's trajectories unless ``merge_first`` is off) and ranked
    cross-camera matches. ``across``: the features cross-camera links compare (e.g. standardised
    per camera, `TrackletFeatures.across`); merge's seeds use ``features``. ``neighbours``: the
    pass `network_neighbours` made already; ``thirds``: as `merge_cameras` reads them."""
    cfg.validate()
    shared = across is None or across is features  # one neighbour pass serves merge and match
    across = features if across is None else across
    k_within = cfg.merge.within_k() if shared and cfg.merge_first else 0
    nb = neighbours if neighbours is not None else network_neighbours(across, index, cfg, k_within)
    seed = (merge_cameras(features, index, cfg.merge, nb if k_within else None, thirds).labels
            if cfg.merge_first else None)
    import warnings

    if not index.frames_are_time and len(index.cameras) > 1:
        warnings.warn("the store has no times (an imported benchmark: its frame numbers restart in every "
                      "tracklet): identities are decided by appearance alone")
    elif len(index.cameras) > 1 and not index.times_known and cfg.time_constraint:
        warnings.warn(f"camera(s) {', '.join(index.cameras_without_clock)} have no frame rate: time checks across "
                      "cameras compare frame numbers (extract with --fps to give them one)")
    first, last = index.spans()
    coexist = cfg.coexist(index.cameras)
    views: list[ViewEvidence] = []
    if cfg.views_from_data() and index.frames_are_time and len(index.cameras) > 1:
        _, pi, pj = nb.mutual_across(index.camera_of)
        coexist, views = decide_views(index.cameras, index.camera_of, first, last, pi, pj)
        coexist = coexist if coexist.any() else None
    topology, prior, why = spacetime_model(across, index, cfg, nb)
    labels, stats = global_identities(across, index.camera_of, first, last, seed,
                                      cfg.max_distance, cfg.time_constraint and index.frames_are_time,
                                      coexist, cfg.distance_cut, nb, cfg.groups_judged(len(index.cameras)),
                                      prior=prior)
    stats["neighbours"] = nb.summary()
    stats["views"] = [v.as_dict() for v in views]
    stats["spacetime"] = spacetime_stats(topology, prior, why)
    return Identities(labels, stats, ranked_matches(across, index.camera_of, cfg.topk, nb), index,
                      topology=topology, prior=prior)


def spacetime_model(features: torch.Tensor, index: TrackletIndex, cfg: MatchConfig, nb: CameraNeighbours
                    ) -> tuple[Topology | None, SpaceTimePrior | None, str | None]:
    """(topology, prior, why not): the camera network match decides with, learnt from the matches
    of ``nb`` or read from ``cfg.topology``; None and the reason where there is none."""
    from reid.spacetime.network_model import learn_topology, network_prior, why_no_times
    from reid.spacetime.topology_file import read_topology

    if cfg.spacetime == "off":
        return None, None, "--spacetime off"
    why = why_no_times(index)
    if why is not None:
        return None, None, why
    topology = read_topology(cfg.topology, index.cameras) if cfg.topology else learn_topology(features, index, nb)
    prior = network_prior(topology, index, veto=cfg.time_constraint, coexist=cfg.coexist(index.cameras))
    return topology, prior, None if prior.active else "no camera pair's matches showed time structure"


def spacetime_stats(topology: Topology | None, prior: SpaceTimePrior | None, why: str | None) -> dict:
    from reid.spacetime.topology_file import topology_summary

    out: dict = {"used": prior is not None and prior.active}
    if why:
        out["why_not"] = why
    if topology is not None:
        out.update(topology_summary(topology))
        out["offsets_s"] = {c: round(float(o), 2) for c, o, k in zip(topology.cameras, topology.offsets,
                                                                      topology.offset_known) if k}
    return out
