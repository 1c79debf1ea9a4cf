"""The camera network learnt from a store's tracklets and their features: the one call that
`pipeline topology`, match, search and the learners make (confident matches from the neighbour
pass in, a `Topology` and its `SpaceTimePrior` out)."""
from __future__ import annotations

import numpy as np
import torch

from reid.neighbours.config import NeighbourConfig
from reid.neighbours.search import CameraNeighbours, camera_neighbours
from reid.spacetime.likelihood import SpaceTimePrior
from reid.spacetime.topology import SpaceTimeData, Topology, fit_topology
from reid.tracklet_index import TrackletIndex
from tracklet_reid.errors import InputError

MATCH_NEIGHBOURS = 10  # other-camera neighbours the confident (mutual) matches are read from


def why_no_times(index: TrackletIndex) -> str | None:
    """One line saying why the store's tracklets cannot be placed in time, or None when they can."""
    if not index.frames_are_time:
        return "the store has no times (an imported benchmark: its frame numbers restart in every tracklet)"
    if not index.times_known:
        return (f"camera(s) {', '.join(index.cameras_without_clock)} have no frame rate (extract with --fps to give "
                "them one)")
    if len(index.cameras) < 2:
        return f"one camera only ({index.cameras[0] if index.cameras else 'none'})"
    return None


def mutual_within(nb: CameraNeighbours) -> tuple[np.ndarray, np.ndarray]:
    """(i, j), i < j: tracklets of one camera that are each other's nearest of that camera."""
    first = nb.within_idx[:, 0].cpu().numpy() if nb.within_idx.shape[1] else np.zeros(0, np.int64)
    if len(first) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i = np.flatnonzero(first >= 0)
    j = first[i]
    keep = (first[j] == i) & (i < j)
    return i[keep], j[keep]


def learn_topology(features: torch.Tensor, index: TrackletIndex, neighbours: CameraNeighbours | None = None,
                   fixed: dict | None = None, search: NeighbourConfig = NeighbourConfig()) -> Topology:
    """The network from the tracklets' confident matches (``neighbours``: the pass made already;
    else one is made with ``search``)."""
    why = why_no_times(index)
    if why is not None:
        raise InputError(f"cannot learn the camera network: {why}")
    if neighbours is None or neighbours.across_idx.shape[1] < 1:
        neighbours = camera_neighbours(features.float(), index.camera_of, 1, MATCH_NEIGHBOURS, search)
    _, pi, pj = neighbours.mutual_across(index.camera_of)
    oi, oj = mutual_within(neighbours)  # none when the pass made no own-camera table: no re-entries then
    return fit_topology(SpaceTimeData.from_index(index), pi, pj, oi, oj, fixed)


def network_prior(topology: Topology, index: TrackletIndex, veto: bool = True,
                  coexist: np.ndarray | None = None) -> SpaceTimePrior:
    """The prior over ``index``'s tracklets; ``coexist``: camera pairs a user says watch one place
    (added to those the network found); ``veto``: whether tracklets seen at once apart are impossible."""
    prior = SpaceTimePrior(topology, SpaceTimeData.from_index(index), veto)
    if coexist is not None:
        prior.coexist |= np.asarray(coexist, bool)
    return prior


def fixed_from_file(topology: Topology) -> dict:
    """A read file's edits (forbidden links, fixed offsets) as `fit_topology`'s ``fixed``."""
    return {"forbid": list(topology.fixed.get("forbid", [])), "offsets": dict(topology.fixed.get("offsets", {}))}
