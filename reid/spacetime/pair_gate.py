"""The space-time prior as the learners' pair filter: cross-camera pairs that time contradicts
(seen at once in two places, or outside every route of a linked camera pair) are not mined.

Iterating model -> topology -> pairs can feed on itself (TFusion's second self-training round fell
from Rank-1 0.565 to 0.011): a time model learnt from a model's own matches, used to pick the pairs
that train the next model, confirms whatever it got wrong. Two guards:

1. The network is refit at every refresh from appearance evidence only (the memory's mutual
   nearest neighbours), never from pairs the gate chose, so time never counts its own votes.
2. A null control at every refresh: the same fit on times shuffled within each camera (which
   keeps each camera's crowd and rush hours but breaks who walked where). Where the real times
   explain no more of the matches than the shuffled ones do (``NULL_MARGIN``), the structure is
   not trusted and the gate lets every pair through, veto included.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reid.neighbours.config import NeighbourConfig
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.spacetime.likelihood import SpaceTimePrior
from reid.spacetime.network_model import MATCH_NEIGHBOURS, learn_topology, network_prior, why_no_times
from reid.spacetime.topology import Topology
from reid.spacetime.topology_file import topology_summary
from reid.tracklet_index import TrackletIndex

NULL_MARGIN = 2.0  # real times must explain at least this many times the shuffled times' share
MIN_LOG_RATIO = 0.0  # a mined pair must be at least as likely under time as any two tracklets


@dataclass
class PairGate:
    prior: SpaceTimePrior | None  # None: the gate is open (no times, no structure, or the null control tripped)
    info: dict

    def keep(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(pairs,) bool: pairs time does not contradict."""
        if self.prior is None:
            return np.ones(len(i), bool)
        return self.prior.log_ratio(np.asarray(i), np.asarray(j)) >= MIN_LOG_RATIO


def shuffled_index(index: TrackletIndex, seed: int = 0) -> TrackletIndex:
    """The index with each camera's times and places permuted among its own tracklets."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    perm = np.arange(index.num_tracklets)
    for sl in index.camera_slices:
        perm[sl] = sl.start + rng.permutation(sl.stop - sl.start)

    def take(a):
        return None if a is None else np.asarray(a)[perm]

    return replace(index, first_frame=take(index.first_frame), last_frame=take(index.last_frame),
                   first_time=take(index.first_time), last_time=take(index.last_time), entry=take(index.entry),
                   exit=take(index.exit))


def explained(topology: Topology) -> float:
    return float(topology_summary(topology)["explained_by_time"] or 0.0)


def pair_gate(features: torch.Tensor, index: TrackletIndex, search: NeighbourConfig = NeighbourConfig(),
              neighbours: CameraNeighbours | None = None) -> PairGate:
    """The gate for this refresh: the network refit from ``features``' matches, checked against the
    null control (both fits read one neighbour pass)."""
    why = why_no_times(index)
    if why is not None:
        return PairGate(None, {"spacetime": "off", "why": why})
    if neighbours is None or neighbours.across_idx.shape[1] < 1:
        neighbours = camera_neighbours(features.float(), index.camera_of, 1, MATCH_NEIGHBOURS, search)
    real = learn_topology(features, index, neighbours)
    null = learn_topology(features, shuffled_index(index), neighbours)
    info = {"explained_by_time": explained(real), "explained_by_shuffled_time": explained(null),
            "links": len(topology_summary(real)["links"])}
    if not real.routes() or info["explained_by_time"] < NULL_MARGIN * info["explained_by_shuffled_time"]:
        return PairGate(None, {**info, "spacetime": "off", "why": "times explain no more than shuffled times"})
    prior = network_prior(real, index)
    return PairGate(prior if prior.active else None, {**info, "spacetime": "on" if prior.active else "off"})


def gate_matches(matches: torch.Tensor, gate: PairGate) -> tuple[torch.Tensor, int]:
    """UTAL's (N, k) cross-camera matches with the pairs time contradicts set to -1; and how many."""
    if gate.prior is None:
        return matches, 0
    rows, cols = torch.nonzero(matches >= 0, as_tuple=True)
    j = matches[rows, cols]
    drop = ~torch.as_tensor(gate.keep(rows.numpy(), j.numpy()))
    out = matches.clone()
    out[rows[drop], cols[drop]] = -1
    return out, int(drop.sum())
