"""Settings of merge (within a camera) and match (across cameras)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reid.neighbours.config import NeighbourConfig
from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting

VIEWS = ("auto", "disjoint", "overlapping")
DISTANCE_CUTS = ("auto", "none")
GROUP_CUTS = ("auto", "on", "off")
LINK_RULES = ("continuation", "affinity")
SPACETIME = ("auto", "off")


@dataclass(frozen=True)
class MergeConfig:
    # Measured per camera (docs/association.md): affinity lowered IDF1 on 9 of 18 camera rows of the
    # demo, network and PETS worlds with learned and downloaded features; continuation on none.
    link: str = setting("continuation", "how tracklets of one camera are joined: continuation (a later "
                        "tracklet continues an earlier one when appearance and place, each read from the "
                        "camera's own tracklets, make one person more likely than two; chains, no overlap) or "
                        "affinity (UTAL Table 6: Eq. 4 affinity above --threshold, connected components)",
                        choices=LINK_RULES)
    affinity_k: int = setting(4, "neighbours K of the affinity graph (Eq. 4, as learn's soft labels; --link "
                              "affinity)", aliases=("--k",))
    threshold: float = setting(0.5, "affinity above which two tracklets link (--link affinity)")
    # the neighbour search merge makes, and match reuses (its flags appear once, with merge's)
    search: NeighbourConfig = NeighbourConfig()

    def within_k(self, rule: str | None = None) -> int:
        """Own-camera neighbours a link rule reads (``rule``, default ``link``; continuation: its
        appearance candidates)."""
        from reid.association.continuation import APPEARANCE_CANDIDATES

        return APPEARANCE_CANDIDATES if (rule or self.link) == "continuation" else self.affinity_k

    def validate(self) -> "MergeConfig":
        self.search.validate()
        if self.link not in LINK_RULES:
            raise InputError(f"--link {self.link!r}: one of {', '.join(LINK_RULES)}")
        if not 0 < self.threshold < 1 or self.affinity_k < 1:
            raise InputError(f"merge settings out of range: threshold {self.threshold} (0..1), "
                             f"affinity_k {self.affinity_k} (>= 1)")
        return self


@dataclass(frozen=True)
class MatchConfig:
    topk: int = setting(10, "ranked matches kept per tracklet")
    max_distance: float | None = setting(None, "ignore mutual neighbours farther than this (unset: --distance-cut "
                                         "decides)")
    distance_cut: str = setting("auto", "with no --max-distance: auto (from the mutual pairs' distances: pairs "
                                "beyond the far group of a two-group mixture are dropped, so people seen by one "
                                "camera stay alone) or none (every mutual pair may link)", choices=DISTANCE_CUTS)
    # Measured (docs/association.md): synthetic networks of 20,000 tracklets in 4 / 8 / 20 cameras,
    # pair precision 0.85 -> 1.00, 0.29 -> 0.99, 0.14 -> 0.71 at unchanged recall; the rendered demo
    # world (4 cameras, a learned model) MC IDF1 0.647 -> 0.621. Hence on only past 4 cameras.
    group_cut: str = setting("auto", "judge a link into a group of tracklets by the groups' mean features "
                             "(cut: the near pairs' mean + 2 spreads), so chains of close pairs do not join "
                             "people: on, off, or auto (on with more than 4 cameras)", choices=GROUP_CUTS)
    merge_first: bool = setting(True, "seed the identities with merge's trajectories")
    time_constraint: bool = setting(True, "never join tracklets that overlap in time (camera clocks taken as "
                                    "synchronised; only where the store's frame numbers are video time)")
    views: str = setting("auto", "what the cameras see: disjoint places (a person is never in two at once), "
                         "overlapping ones (seen at once by two cameras is evidence for one person), or auto: "
                         "per camera pair from the data (most confident matches seen at once: overlapping)",
                         choices=VIEWS)
    overlapping_pairs: str = setting("", "only these camera pairs see one place, e.g. 'cam1:cam2,cam3:cam4' (the "
                                     "other pairs are disjoint; replaces --views)")
    spacetime: str = setting("auto", "decide identities with the camera network learnt from the tracklets' times "
                             "and places (links, transit times, shared views, clock offsets; `pipeline topology` "
                             "shows it): auto (where the store has times and time shows structure) or off "
                             "(appearance alone)", choices=SPACETIME)
    topology: str | None = setting(None, "a topology.json (from `pipeline topology`, perhaps edited) to use "
                                   "instead of learning the network from the store again")
    merge: MergeConfig = MergeConfig()

    def coexist(self, cameras: list[str]) -> np.ndarray | None:
        """(C, C) bool: which camera pairs may see one person at once (None: no pair)."""
        C = len(cameras)
        if self.overlapping_pairs.strip():
            out = np.zeros((C, C), bool)
            pos = {c: i for i, c in enumerate(cameras)}
            for pair in self.overlapping_pairs.split(","):
                names = [p.strip() for p in pair.split(":")]
                if len(names) != 2 or names[0] == names[1]:
                    raise InputError(f"--overlapping-pairs {self.overlapping_pairs!r}: write pairs as "
                                     "CAMERA:CAMERA, separated by commas")
                unknown = [n for n in names if n not in pos]
                if unknown:
                    raise InputError(f"--overlapping-pairs: no camera {unknown[0]!r} in the store (has: "
                                     f"{', '.join(cameras)})")
                out[pos[names[0]], pos[names[1]]] = out[pos[names[1]], pos[names[0]]] = True
            return out
        if self.views == "overlapping":
            return ~np.eye(C, dtype=bool)
        return None

    def views_from_data(self) -> bool:
        """Whether match decides per camera pair which cameras watch one place (`views.decide_views`)."""
        return self.views == "auto" and not self.overlapping_pairs.strip()

    def groups_judged(self, cameras: int) -> bool:
        """Whether links into groups are judged by the groups' means (`group_cut`)."""
        return self.group_cut == "on" or (self.group_cut == "auto" and cameras > 4)

    def validate(self) -> "MatchConfig":
        if self.group_cut not in GROUP_CUTS:
            raise InputError(f"--group-cut {self.group_cut!r}: one of {', '.join(GROUP_CUTS)}")
        if self.distance_cut not in DISTANCE_CUTS:
            raise InputError(f"--distance-cut {self.distance_cut!r}: one of {', '.join(DISTANCE_CUTS)}")
        if self.spacetime not in SPACETIME:
            raise InputError(f"--spacetime {self.spacetime!r}: one of {', '.join(SPACETIME)}")
        if self.views not in VIEWS:
            raise InputError(f"--views {self.views!r}: one of {', '.join(VIEWS)}")
        if self.topk < 1:
            raise InputError(f"--topk {self.topk}: must be at least 1")
        if self.max_distance is not None and not (math.isfinite(self.max_distance) and self.max_distance >= 0):
            raise InputError(f"--max-distance {self.max_distance}: must be a finite distance >= 0")
        self.merge.validate()
        return self
