"""Cameras that watch one place, from being seen at once: a person is never in two disjoint
places at once, so between disjoint views confident matches seen at the same time are wrong ones,
no more common than for any two tracklets of the cameras (the random-pair rate); between views of
one place most of them are. `match --views auto` and the topology both judge by this rule; the
topology also finds shared views from the timing peaks, which need more matches than a short clip
gives."""
from __future__ import annotations

import numpy as np

MIN_PAIRS = 5  # fewer confident matches than this do not overturn the disjoint default (the paper's setting)


def seen_at_once_overlapping(matches: int, at_once: int, rate: float) -> bool:
    """Overlapping when at least ``MIN_PAIRS`` confident matches exist, most are seen at once, and
    that share is at least half-way from the random-pair ``rate`` to certainty."""
    share = at_once / matches if matches else 0.0
    return matches >= MIN_PAIRS and share > 0.5 and share >= rate + (1 - rate) / 2


APART_P = 0.05  # "apart" needs the matches seen at once to be this unlikely under overlapping views


def views_verdict(matches: int, at_once: int, rate: float) -> str:
    """"overlapping" (`seen_at_once_overlapping`), "apart", or "undetermined". Apart needs evidence
    too: so few matches seen at once that overlapping views (matches seen at once at least at the
    half-way share) would give so few with probability under ``APART_P`` (binomial). In a short clip
    where any two tracklets overlap in time (PETS09's two views, 10 s: 0.76), 6 of 7 at once proves
    neither; the disjoint default would then refuse every match seen at once, which between views
    of one place are the right ones. Fewer than ``MIN_PAIRS`` matches keep the disjoint default."""
    if seen_at_once_overlapping(matches, at_once, rate):
        return "overlapping"
    if matches < MIN_PAIRS:
        return "apart"
    from scipy.stats import binom

    halfway = rate + (1 - rate) / 2
    return "apart" if binom.cdf(at_once, matches, max(halfway, 0.5)) < APART_P else "undetermined"


def overlap_rate(first_a: np.ndarray, last_a: np.ndarray, first_b: np.ndarray, last_b: np.ndarray) -> float:
    """Share of all (a, b) pairs whose closed spans overlap, without building the pairs: a pair is
    apart when a ends before b starts or b ends before a starts (sorted counts, O(n log n))."""
    na, nb = len(first_a), len(first_b)
    if na == 0 or nb == 0:
        return 0.0
    sorted_first_b, sorted_first_a = np.sort(first_b), np.sort(first_a)
    a_before_b = (nb - np.searchsorted(sorted_first_b, last_a, side="right")).sum()
    b_before_a = (na - np.searchsorted(sorted_first_a, last_b, side="right")).sum()
    return float(1.0 - (a_before_b + b_before_a) / (na * nb))
