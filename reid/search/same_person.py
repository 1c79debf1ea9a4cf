"""The probability that a search hit is the query's person: the site's appearance mixture, times
the space-time ratio between a tracklet query and each hit. The mixture is fitted on what search
shows, every tracklet's nearest tracklets of the other cameras (`CANDIDATES` each: a few of them
the same person, most not), with the learnt camera network's ratio as each pair's other evidence
(`distance_cut.fit_mixture`); match fits its own on the mutual pairs it links. Fitted once when
the search index is built and kept in it, so a search stays fast.

An image query has no time or camera: its probability is appearance alone, from a mixture fitted
on the raw features it is ranked by.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch

from reid.association.distance_cut import DistanceMixture, fit_mixture
from reid.association.fused import candidate_pairs, fused_log_odds, probability
from reid.neighbours.search import camera_neighbours
from reid.spacetime.likelihood import SpaceTimePrior
from reid.tracklet_index import TrackletIndex

PROBABLY_SAME = 0.5  # the cut search marks: more likely one person than two
CANDIDATES = 10  # other-camera neighbours per tracklet: the population the probability is calibrated on
MIN_TIME_MATCHES = 30  # a network learnt from fewer matches than this is not shown to users as probabilities
MIN_CALIBRATION_PAIRS = 100  # fewer candidate pairs than this (a clip of a few people) give no probability


@dataclass
class SameModel:
    """What the index keeps: a mixture per feature space and the topology (JSON) when times are known."""

    across: DistanceMixture | None  # tracklet queries rank by these features
    raw: DistanceMixture | None  # image queries
    topology_json: str  # "" without times

    def arrays(self) -> dict[str, np.ndarray]:
        def pack(m: DistanceMixture | None) -> np.ndarray:
            return np.zeros((0, 2)) if m is None else np.stack([m.weight, m.mean, m.sd])

        return {"same_across": pack(self.across), "same_raw": pack(self.raw),
                "same_topology": np.array(self.topology_json)}

    @classmethod
    def from_arrays(cls, z) -> "SameModel | None":
        if "same_across" not in z:
            return None

        def unpack(a: np.ndarray) -> DistanceMixture | None:
            return None if a.size == 0 else DistanceMixture(a[0], a[1], a[2])

        return cls(unpack(z["same_across"]), unpack(z["same_raw"]), str(z["same_topology"]))


def fit_same_model(features: np.ndarray, across: np.ndarray, index: TrackletIndex) -> SameModel:
    """Both mixtures and the network, from the store's own tracklets (no labels)."""
    from reid.spacetime.network_model import learn_topology, network_prior, why_no_times
    from reid.spacetime.topology_file import topology_dict

    cams = np.asarray(index.camera_of)
    if len(np.unique(cams)) < 2:  # no cross-camera matches to calibrate with
        return SameModel(None, None, "")
    x_across, x_raw = torch.from_numpy(across), torch.from_numpy(features)
    nb = camera_neighbours(x_across, cams, 1, CANDIDATES)
    prior, topo_json = None, ""
    if why_no_times(index) is None:
        topo = learn_topology(x_across, index, nb)
        candidate = network_prior(topo, index)
        explained = sum(r.matches for r in topo.routes() if r.source != r.target)
        if candidate.active and explained >= MIN_TIME_MATCHES:
            prior, topo_json = candidate, json.dumps(topology_dict(topo))
    i, j, d = candidate_pairs(nb)
    st = None if prior is None else prior.log_ratio(i, j)
    m_across = fit_mixture(d, log_ratio=None if st is None else np.where(np.isfinite(st), st, -12.0))
    _, _, d_raw = candidate_pairs(camera_neighbours(x_raw, cams, 0, CANDIDATES))
    return SameModel(_separated(m_across, len(d)), _separated(fit_mixture(d_raw), len(d_raw)), topo_json)


def _separated(m: DistanceMixture | None, pairs: int) -> DistanceMixture | None:
    """The mixture when it can be trusted as a probability shown to a user: enough pairs, and its
    groups apart by more than their spreads (time evidence may place weak groups for match's
    decisions; a number printed beside a face must stand on firmer ground)."""
    if m is None or pairs < MIN_CALIBRATION_PAIRS or m.mean[1] - m.mean[0] < m.sd[0] + m.sd[1]:
        return None
    return m


def same_probability(model: SameModel | None, index: TrackletIndex | None, query_row: int | None,
                     rows: np.ndarray, distance: np.ndarray) -> np.ndarray | None:
    """(hits,) P(same person) of each hit, or None when the store gave nothing to calibrate with."""
    if model is None:
        return None
    mixture = model.across if query_row is not None else model.raw
    if mixture is None:
        return None
    spacetime: np.ndarray | float = 0.0
    if query_row is not None and model.topology_json and index is not None:
        spacetime = _prior(model, index).log_ratio(np.full(len(rows), query_row), np.asarray(rows))
    return probability(fused_log_odds(mixture.log_odds(np.asarray(distance, np.float64)), spacetime))


def _prior(model: SameModel, index: TrackletIndex) -> SpaceTimePrior:
    from reid.spacetime.network_model import network_prior
    from reid.spacetime.topology_file import topology_from_dict

    return network_prior(topology_from_dict(json.loads(model.topology_json), index.cameras, "the search index"), index)
