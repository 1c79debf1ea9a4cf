"""Build the tracker a TrackerConfig names, for a video's frame rate. An explicit table, no
registry: a new algorithm gets a folder in tracking/ and a line here."""
from __future__ import annotations

import dataclasses

from tracking.tracker_api import Tracker
from tracking.tracker_config import TrackerConfig


def build_tracker(cfg: TrackerConfig, fps: float | None = None) -> Tracker:
    """A fresh tracker (its own ids) for one camera or sequence at ``fps`` frames/s (None: unknown),
    reading calibrated scores unless ``cfg.scores`` is "raw" (SORT reads no scores)."""
    cfg = cfg.validate()
    tracker = _algorithm(cfg, fps)
    if cfg.scores == "raw" or cfg.algorithm == "sort":
        return tracker
    from tracking.score_calibration import CalibratedTracker, ScoreCalibrator

    return CalibratedTracker(tracker, ScoreCalibrator(fps))


def _algorithm(cfg: TrackerConfig, fps: float | None) -> Tracker:
    if cfg.algorithm == "sort":
        from tracking.sort.tracker import SortTracker

        return SortTracker(cfg.for_fps(fps))
    if cfg.algorithm in ("bytetrack", "botsort"):
        from tracking.botsort.tracker import BotSortParams, BotSortTracker
        from tracking.bytetrack.tracker import ByteTracker, ByteTrackParams

        if cfg.algorithm == "bytetrack":
            return ByteTracker(_params(ByteTrackParams(), cfg), fps)
        return BotSortTracker(_params(BotSortParams(), cfg), fps)
    if cfg.algorithm == "ocsort":
        from tracking.ocsort.tracker import OCSortParams, OCSortTracker

        return OCSortTracker(_params(OCSortParams(), cfg), fps)
    raise AssertionError(cfg.algorithm)  # validate() refused it


def _params(base, cfg: TrackerConfig):
    """The algorithm's own constants, with the user's settings where given."""
    fields = {f.name for f in dataclasses.fields(base)}
    given: dict[str, float] = {k: getattr(cfg, k) for k in ("lost_seconds", "high_score", "motion_fps")
                               if getattr(cfg, k) is not None and k in fields}
    if cfg.match_iou is not None and "first_max_cost" in fields:
        given["first_max_cost"] = 1.0 - cfg.match_iou
    return dataclasses.replace(base, **given)
