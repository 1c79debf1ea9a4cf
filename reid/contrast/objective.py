"""The second learner (`pipeline learn --learner contrast`): tracklet-level cluster contrast with
camera-aware proxies and time-overlap cannot-links (CAP, AAAI 2021; O2CAP; cluster contrast),
written from the papers for tracklets. Per epoch: identities from the memory (clusters.py), one
proxy per identity and camera (proxies.py); per batch: intra-camera + weight x inter-camera loss.
Before ``ccta_start`` of the epochs every tracklet is its own identity, so only the intra-camera
term acts (as UTAL trains with PCTD alone first)."""
from __future__ import annotations

import time

import numpy as np
import torch

from reid.contrast.clusters import cluster_tracklets
from reid.contrast.proxies import CameraProxies
from reid.models.camera_norm import standardize_per_camera
from reid.spacetime.pair_gate import pair_gate
from reid.tracklet_index import TrackletIndex
from reid.utal.config import LearnConfig


class ContrastObjective:
    loss_names: tuple[str, ...] = ("intra", "inter")

    def __init__(self, cfg: LearnConfig, index: TrackletIndex, time_known: bool, gt: torch.Tensor | None,
                 device: torch.device):
        self.cfg, self.index, self.time_known, self.gt, self.device = cfg, index, time_known, gt, device
        self.proxies: CameraProxies | None = None

    def refresh(self, memory: torch.Tensor, epoch: int) -> dict:
        cfg, idx = self.cfg, self.index
        t0 = time.perf_counter()
        # with real time, fragments of one camera may be joined even where there is no other camera
        across = cfg.ccta and epoch >= cfg.ccta_first_epoch and (len(idx.cameras) > 1 or self.time_known)
        if across:
            search = standardize_per_camera(memory, idx.camera_of) if cfg.camera_norm else memory
            # frames, not seconds: its cannot-links are within one camera, where frames are exact
            keep, gate_info = None, {}
            if cfg.spacetime == "auto" and len(idx.cameras) > 1:  # reid/spacetime/pair_gate.py
                gate = pair_gate(search, idx, cfg.search)
                keep, gate_info = (gate.keep if gate.prior is not None else None), gate.info
            clusters = cluster_tracklets(search, idx.camera_of, idx.first_frame, idx.last_frame, self.time_known,
                                         cfg.ccta_k, keep=keep, search=cfg.search)
        else:
            clusters, gate_info = np.arange(idx.num_tracklets), {}
        self.proxies = CameraProxies.build(memory, clusters, idx.camera_of, cfg.proxy_momentum).to(self.device)
        info = {"refresh_s": time.perf_counter() - t0, "ccta_active": across,
                "identities": int(clusters.max()) + 1 if len(clusters) else 0,
                "multi_camera_identities": int(torch.unique(self.proxies.cluster[self.proxies.multi_camera]).numel())}
        info.update(link_stats(clusters, idx.camera_of, self.gt))
        info.update(gate_info)
        return info

    def loss(self, emb, tracklets, cameras, memory):
        assert self.proxies is not None, "refresh() runs before the epoch's first batch"
        intra = self.proxies.intra_loss(emb, tracklets, cameras, self.cfg.temperature)
        inter, used = self.proxies.inter_loss(emb, tracklets, self.cfg.temperature, self.cfg.hard_negatives)
        return intra + self.cfg.inter_weight * inter, {"intra": intra, "inter": inter}, used

    def after_batch(self, tracklets, emb) -> None:
        assert self.proxies is not None
        self.proxies.update(tracklets.to(self.device), emb)


def link_stats(clusters: np.ndarray, camera_of: np.ndarray, gt: torch.Tensor | None) -> dict:
    """Cross-camera tracklet pairs inside the identities (UTAL's Fig. 6 count: pairs, each once),
    the tracklets joined to one of another camera, and, with ground truth (diagnostics only), the
    share of those pairs that are one person."""
    clusters, cams = np.asarray(clusters), np.asarray(camera_of)
    n_cams = int(cams.max()) + 1 if len(cams) else 1
    cameras_per_cluster = np.bincount(np.unique(clusters * n_cams + cams) // n_cams)
    multi = np.flatnonzero(cameras_per_cluster > 1)
    joined = np.isin(clusters, multi)
    g = None if gt is None else gt.cpu().numpy()
    pairs = right = known = 0
    for v in multi:
        members = np.flatnonzero(clusters == v)
        a, b = np.meshgrid(members, members, indexing="ij")
        across = (cams[a] != cams[b]) & (a < b)
        pairs += int(across.sum())
        if g is not None:
            labelled = across & (g[a] >= 0) & (g[b] >= 0)
            right += int((g[a] == g[b])[labelled].sum())
            known += int(labelled.sum())
    return {"pairs": pairs, "matched_tracklets": int(joined.sum()),
            "pair_precision": right / known if known else None}
