"""What a learner adds to the shared training loop: its per-epoch pseudo-label step and its loss.
The loop (trainer.py) owns the network, the tracklet memory, the batches and the hooks; an
objective owns what is recomputed from the memory each epoch and how a batch is scored.
UTAL's is here; the cluster-contrast learner's is reid/contrast/objective.py."""
from __future__ import annotations

from typing import Protocol

import torch

from reid.utal.label_update import LabelUpdate
from reid.utal.losses import ccta_loss, pctd_loss
from reid.utal.soft_labels import SoftLabels


class Objective(Protocol):
    loss_names: tuple[str, ...]

    def refresh(self, memory: torch.Tensor, epoch: int) -> dict:
        """The per-epoch pseudo-label step; returns what it measured (for metrics.jsonl)."""

    def loss(self, emb: torch.Tensor, tracklets: torch.Tensor, cameras: torch.Tensor, memory: torch.Tensor
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor], int]:
        """(total loss, its named parts, tracklets or frames pulled across cameras)."""

    def after_batch(self, tracklets: torch.Tensor, emb: torch.Tensor) -> None:
        """Anything the objective keeps besides the shared memory (e.g. proxies)."""


class UTALObjective:
    """PCTD (Eqs. 7-8) on the soft labels plus lambda x CCTA (Eq. 10) on the reciprocal pairs."""

    loss_names: tuple[str, ...] = ("pctd", "ccta")

    # noqa reason: the label step, the heads and the four loss settings of LearnConfig
    def __init__(self, label_update: LabelUpdate, heads, single_task: bool,  # noqa: PLR0913
                 ccta_lambda: float, ccta_normalize: bool, device: torch.device, ccta_distance: str = "squared"):
        self.label_update, self.heads = label_update, heads
        self.head_of = (lambda t: heads[0]) if single_task else None
        self.ccta_lambda, self.ccta_normalize, self.device = ccta_lambda, ccta_normalize, device
        self.ccta_distance = ccta_distance
        self.labels: SoftLabels | None = None
        self.matches: torch.Tensor | None = None

    def refresh(self, memory: torch.Tensor, epoch: int) -> dict:
        labels, self.matches, info = self.label_update(memory, epoch)
        self.labels = labels.to(self.device)
        return info

    def loss(self, emb, tracklets, cameras, memory):
        assert self.labels is not None, "refresh() runs before the epoch's first batch"
        l_p = pctd_loss(emb, self.heads, cameras, self.labels.index[tracklets], self.labels.weight[tracklets],
                        self.head_of)
        l_c, paired = torch.zeros((), device=emb.device), 0
        if self.matches is not None:
            l_c, paired = ccta_loss(emb, tracklets, self.matches, memory, self.ccta_normalize, self.ccta_distance)
        return l_p + self.ccta_lambda * l_c, {"pctd": l_p, "ccta": l_c}, paired

    def after_batch(self, tracklets, emb) -> None:
        pass
