"""How merge, match and learn's refresh find neighbours: the settings alone, without torch, so
that the command line builds its flags from them in a blink."""
from __future__ import annotations

from dataclasses import dataclass

from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting

METHODS = ("auto", "exact", "approximate")


@dataclass(frozen=True)
class NeighbourConfig:
    """How merge and match find neighbours (one search serves both)."""

    method: str = setting("auto", "exact search, approximate (faiss IVF-PQ), or auto: exact below "
                          "--exact-below tracklets and on a GPU", choices=METHODS, flag="neighbours")
    exact_below: int = setting(50_000, "auto: exact search below this many tracklets (50,000 x 512-D: about "
                               "35 s on 2 CPU cores; the exact cost grows with the square)")
    candidates: int = setting(32, "approximate: neighbours asked of the index per tracklet, then sorted by exact "
                              "distance into own-camera and other-camera neighbours")
    probe_share: float = setting(0.08, "approximate: share of the network index's inverted lists each search "
                                 "scans (more: higher recall, slower)")
    own_probe_share: float = setting(0.3, "approximate: the same in each camera's own index (a T-th of the "
                                     "network's size)", cli=False)
    project_to: int = setting(128, "approximate: PCA width the indexes are built in when features are wider "
                              "(exact distances in the full width decide the order)", cli=False)
    reverse: int = setting(16, "approximate: each tracklet also takes this many of the nearest tracklets that "
                           "found it (the inverted file's misses are one-sided)", cli=False)
    recall_sample: int = setting(200, "approximate: tracklets whose neighbours are also found exactly, to "
                                 "print the recall", cli=False)

    def validate(self) -> "NeighbourConfig":
        if self.method not in METHODS:
            raise InputError(f"--neighbours {self.method!r}: one of {', '.join(METHODS)}")
        shares = (self.probe_share, self.own_probe_share)
        if min(self.candidates, self.project_to) < 1 or not 0 < min(shares) <= max(shares) <= 1 or self.reverse < 0:
            raise InputError(f"neighbour search settings out of range: candidates {self.candidates}, project_to "
                             f"{self.project_to} (>= 1), probe shares {shares} (0..1], reverse {self.reverse} (>= 0)")
        return self
