"""Which cameras watch one place, read from the data (`match --views auto`, the default).

A person is never in two disjoint places at once, so between cameras with disjoint views a pair of
tracklets seen at the same time can only be two people: confident appearance matches (mutual
nearest neighbours) that are seen at once are then wrong matches, no more common than for any two
tracklets of the cameras (the random-pair rate). Between cameras that watch one place, a person is
seen by both at once: most confident matches are. So a camera pair is taken as overlapping when
at least ``MIN_PAIRS`` of its mutual nearest neighbours exist, most of them are seen at once, and
that share is at least half-way from the random-pair rate to certainty; as disjoint when so few are
seen at once that overlapping views would rarely give so few; and as undetermined otherwise (a short
clip where any two tracklets overlap in time): then no time veto, appearance decides. Nothing here
reads ground truth; the evidence for every pair is returned for the report.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from reid.spacetime.presence import overlap_rate, views_verdict


@dataclass
class ViewEvidence:
    cameras: tuple[str, str]
    mutual_pairs: int  # confident appearance matches between the two cameras
    seen_at_once: int  # of those, pairs whose time spans overlap
    random_rate: float  # share of all pairs of the two cameras' tracklets whose spans overlap
    overlapping: bool
    verdict: str = ""  # overlapping, apart or undetermined (`views_verdict`); "" in older outputs

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        a, b = self.cameras
        verdict = ("watch one place" if self.overlapping else "cannot be told apart or together from this footage"
                   if self.verdict == "undetermined" else "watch apart")
        tail = ": no time veto, appearance decides" if self.verdict == "undetermined" else ""
        return (f"{a} and {b} {verdict}: {self.seen_at_once} of {self.mutual_pairs} confident matches seen at once "
                f"(any two tracklets: {self.random_rate:.2f}){tail}")


def decide_views(cameras: list[str], camera_of: np.ndarray, first: np.ndarray, last: np.ndarray,
                 pair_i: np.ndarray, pair_j: np.ndarray) -> tuple[np.ndarray, list[ViewEvidence]]:
    """(C, C) bool of the camera pairs whose tracklets may be one person at once (views of one
    place, or undetermined), and the evidence for every pair that has a confident match.
    ``pair_i``, ``pair_j``: the mutual nearest neighbours across cameras."""
    cams = np.asarray(camera_of)
    first, last = np.asarray(first, dtype=np.float64), np.asarray(last, dtype=np.float64)
    coexist = np.zeros((len(cameras),) * 2, bool)
    evidence = []
    ci, cj = cams[pair_i], cams[pair_j]
    at_once = (first[pair_i] <= last[pair_j]) & (first[pair_j] <= last[pair_i])
    lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
    for a, b in sorted(set(zip(lo.tolist(), hi.tolist()))):
        sel = (lo == a) & (hi == b)
        n, k = int(sel.sum()), int(at_once[sel].sum())
        ra, rb = cams == a, cams == b
        rate = overlap_rate(first[ra], last[ra], first[rb], last[rb])
        verdict = views_verdict(n, k, rate)
        coexist[a, b] = coexist[b, a] = verdict != "apart"
        evidence.append(ViewEvidence((cameras[a], cameras[b]), n, k, rate, verdict == "overlapping", verdict))
    return coexist, evidence
