"""Association over a whole camera network: merge within every camera (trajectories, Table 6)
and match across cameras (global identities), on tracklet features in a TrackletIndex's order."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.association.config import MatchConfig, MergeConfig
from reid.association.match import RankedMatches, global_identities, ranked_matches
from reid.association.merge import merge_tracklets
from reid.tracklet_index import TrackletIndex


@dataclass
class Trajectories:
    """Merge's result: a trajectory label per tracklet, unique across cameras, and per-camera
    counts (tracklets, mergeable, long_trajectories, trajectories, links, links cut)."""

    labels: np.ndarray  # (N,) in the index's tracklet order
    cameras: list[dict]
    index: TrackletIndex  # which tracklet each row is (camera, tracklet within it, frames)


@dataclass
class Identities:
    """Match's result: a global identity per tracklet, the link statistics, and every
    tracklet's ranked matches in other cameras."""

    labels: np.ndarray  # (N,) 0..G-1
    stats: dict  # mutual_links, links_made, links_refused_time_overlap, links_over_distance
    ranked: RankedMatches
    index: TrackletIndex

    @property
    def count(self) -> int:
        return int(self.labels.max(initial=-1)) + 1


def merge_cameras(features: torch.Tensor, index: TrackletIndex, cfg: MergeConfig = MergeConfig()) -> Trajectories:
    """Per-camera trajectory labels made unique across cameras, and per-camera summaries."""
    cfg.validate()
    labels = np.zeros(index.num_tracklets, np.int64)
    base = 0
    per_cam = []
    for c, sl in enumerate(index.camera_slices):
        r = merge_tracklets(features[sl], index.first_frame[sl], index.last_frame[sl], cfg.affinity_k,
                            cfg.threshold, time_veto=index.frames_are_time)
        labels[sl] = r.labels + base
        base += int(r.labels.max(initial=-1)) + 1
        per_cam.append({"camera": index.cameras[c], **r.summary()})
    return Trajectories(labels, per_cam, index)


def match_cameras(features: torch.Tensor, index: TrackletIndex, cfg: MatchConfig = MatchConfig(),
                  across: torch.Tensor | None = None) -> Identities:
    """Global identities (seeded with merge's trajectories unless ``merge_first`` is off) and ranked
    cross-camera matches. ``across``: the features cross-camera links compare (e.g. standardised
    per camera, `TrackletFeatures.across`); merge's seeds use ``features``."""
    cfg.validate()
    across = features if across is None else across
    seed = merge_cameras(features, index, cfg.merge).labels if cfg.merge_first else None
    labels, stats = global_identities(across, index.camera_of, index.first_frame, index.last_frame, seed,
                                      cfg.max_distance, cfg.time_constraint and index.frames_are_time,
                                      cfg.coexist(index.cameras), cfg.distance_cut)
    return Identities(labels, stats, ranked_matches(across, index.camera_of, cfg.topk), index)
