"""UTAL's pseudo-label step, apart from the training loop (OpenUnReID's label generators): from
the tracklet memory, the per-camera soft labels (Eqs. 4-6) and the cross-camera pairs (Eq. 9),
recomputed once per epoch; plus the diagnostics that need ground truth (Figs. 4 and 6)."""
from __future__ import annotations

import time

import numpy as np
import torch

from reid.models.camera_norm import standardize_per_camera
from reid.neighbours.search import camera_neighbours
from reid.spacetime.pair_gate import gate_matches, pair_gate
from reid.tracklet_index import TrackletIndex
from reid.utal.config import LearnConfig
from reid.utal.cross_camera import cross_camera_matches, pair_neighbours, pair_stats
from reid.utal.soft_labels import SoftLabels, compute_soft_labels, hard_labels, same_identity_label_similarity


class LabelUpdate:
    """``update(memory, epoch) -> (labels, cross-camera matches or None, info)``.

    ``gt`` (identities, evaluation only) feeds the diagnostics and nothing else, except in the
    weakly supervised ablation, whose per-camera classes (``weak_classes``) are made from it."""

    def __init__(self, cfg: LearnConfig, index: TrackletIndex, offsets: torch.Tensor, gt: torch.Tensor | None,
                 weak_classes: torch.Tensor | None = None):
        self.cfg, self.index = cfg, index
        self.camera_of = torch.as_tensor(index.camera_of)
        self.offsets = offsets
        self.gt = gt
        self.weak_classes = weak_classes

    def __call__(self, s: torch.Tensor, epoch: int) -> tuple[SoftLabels, torch.Tensor | None, dict]:
        cfg, idx = self.cfg, self.index
        t0 = time.perf_counter()
        ccta_now = cfg.ccta and epoch >= cfg.ccta_first_epoch and len(idx.cameras) > 1
        diagnose = self.gt is not None and not ccta_now and len(idx.cameras) > 1  # pairs for the log only
        shared = None
        if not cfg.camera_norm and cfg.labels == "soft" and cfg.k > 0 and (ccta_now or diagnose):
            # the pairs search the same features as the labels: one pass serves both
            shared = camera_neighbours(s, idx.camera_of, cfg.k, pair_neighbours(cfg.ccta_mode, cfg.ccta_k), cfg.search)
        if cfg.labels == "soft":
            labels = compute_soft_labels(s, idx.camera_slices, cfg.k, cfg.search, shared)
        else:
            labels = hard_labels(idx.camera_slices, self.weak_classes)
        # STC: one classifier over all cameras, so label columns shift by each camera's offset
        train_labels = SoftLabels(labels.index + self.offsets[self.camera_of].unsqueeze(1), labels.weight,
                                  labels.sigma2) if cfg.single_task else labels
        matches = None
        # pairs across cameras are found on camera-standardised features (each camera's light and
        # background removed); the CCTA loss then pulls the raw embeddings together
        search = standardize_per_camera(s, self.camera_of) if cfg.camera_norm else s
        gate_info: dict = {}
        if ccta_now:
            matches = cross_camera_matches(search, self.camera_of, cfg.ccta_mode, cfg.ccta_k, cfg.search, shared)
            if cfg.spacetime == "auto":  # pairs time contradicts are not pulled together (reid/spacetime/pair_gate.py)
                gate = pair_gate(search, idx, cfg.search)
                matches, vetoed = gate_matches(matches, gate)
                gate_info = {**gate.info, "pairs_vetoed_by_time": vetoed}
        info: dict = {"refresh_s": time.perf_counter() - t0, "ccta_active": matches is not None,
                      "sigma2_mean": float(np.mean(labels.sigma2)) if labels.sigma2 else 0.0}
        if labels.neighbours and labels.neighbours.get("method") == "approximate":  # the recall into the log
            info["soft_label_neighbour_recall"] = labels.neighbours.get("recall1_within")
        if matches is not None:
            info.update(pair_stats(matches, self.gt))
            info.update(gate_info)
        if self.gt is not None and cfg.labels == "soft":
            sim = same_identity_label_similarity(labels, idx.camera_slices, self.gt)
            if sim is not None:  # None: no identity has two tracklets in one camera (e.g. CUHK03)
                info["label_similarity"] = sim
        if diagnose:
            diagnostic = cross_camera_matches(search, self.camera_of, cfg.ccta_mode, cfg.ccta_k, cfg.search, shared)
            info.update(pair_stats(diagnostic, self.gt))
        return train_labels, matches, info
