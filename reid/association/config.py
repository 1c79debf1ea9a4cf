"""Settings of merge (within a camera) and match (across cameras)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting


@dataclass(frozen=True)
class MergeConfig:
    affinity_k: int = setting(4, "neighbours K of the affinity graph (Eq. 4, as learn's soft labels)",
                              aliases=("--k",))
    threshold: float = setting(0.5, "affinity above which two tracklets link")

    def validate(self) -> "MergeConfig":
        if not 0 < self.threshold < 1 or self.affinity_k < 1:
            raise InputError(f"merge settings out of range: threshold {self.threshold} (0..1), "
                             f"affinity_k {self.affinity_k} (>= 1)")
        return self


@dataclass(frozen=True)
class MatchConfig:
    topk: int = setting(10, "ranked matches kept per tracklet")
    max_distance: float | None = setting(None, "ignore mutual neighbours farther than this (unset: no limit)")
    merge_first: bool = setting(True, "seed the identities with merge's trajectories")
    time_constraint: bool = setting(True, "never join tracklets that overlap in time (camera clocks taken as "
                                    "synchronised)")
    merge: MergeConfig = MergeConfig()

    def validate(self) -> "MatchConfig":
        if self.topk < 1:
            raise InputError(f"--topk {self.topk}: must be at least 1")
        if self.max_distance is not None and not (math.isfinite(self.max_distance) and self.max_distance >= 0):
            raise InputError(f"--max-distance {self.max_distance}: must be a finite distance >= 0")
        if self.merge_first:
            self.merge.validate()
        return self
