"""The tracker a user picks (`--tracker`), and the settings a user may change."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tracklet_reid.settings import setting

TRACKERS = ("sort", "bytetrack", "botsort", "ocsort")
DEFAULT_TRACKER = "botsort"
SCORE_MODES = ("calibrated", "raw")


@dataclass(frozen=True)
class TrackerConfig:
    """Which tracker, and the settings a user may change. SORT's are its own (ages count frames at
    ``reference_fps``; ``for_fps`` rescales them to a video's real frame rate, so a 30 fps camera
    does not get a 4x shorter memory than a 7 fps one). The other trackers' constants are named
    once, in their own modules (e.g. ByteTrackParams); the settings here that are unset leave them."""

    algorithm: str = setting(DEFAULT_TRACKER, "tracker: " + ", ".join(TRACKERS) + " (docs/tracking.md)",
                             flag="tracker", choices=TRACKERS)
    lost_seconds: float | None = setting(None, "bytetrack/botsort/ocsort: seconds a lost track waits for its "
                                         "person (unset: the algorithm's own)")
    high_score: float | None = setting(None, "bytetrack/botsort: detection score of the first association "
                                       "(unset: the algorithm's own)")
    scores: str = setting("calibrated", "how thresholds read detection scores: calibrated (as precision estimated "
                          "from this camera's own score ranks: any detector's scale, the same tracks under any "
                          "monotone rescaling; docs/tracking.md) or raw (the numbers as given, on a 0-1 scale)",
                          choices=SCORE_MODES)
    match_iou: float | None = setting(None, "bytetrack/botsort: smallest IoU (times the score) a first-stage match "
                                      "may have (unset: the algorithm's own)")
    motion_fps: float | None = setting(None, "bytetrack/botsort: frame rate the Kalman filter's motion noise is "
                                       "set for, so that it is noise per second at any rate (0: per frame, "
                                       "the papers'; unset: the algorithm's own)")
    max_age: int = setting(1, "sort: frames a track lives without detection")
    min_hits: int = setting(3, "sort: consecutive hits before a track is reported")
    iou_threshold: float = setting(0.3, "sort: minimum IoU to associate")
    reference_fps: float | None = setting(None, "sort: frame rate the ages are counted at, rescaled to the video's fps "
                                          "(unset: ages are plain frames)")

    def for_fps(self, fps: float | None) -> "TrackerConfig":
        if not self.reference_fps or not fps or fps <= 0:
            return self
        k = fps / self.reference_fps
        return dataclasses.replace(self, max_age=max(1, round(self.max_age * k)),
                                   min_hits=max(1, round(self.min_hits * k)), reference_fps=None)

    def validate(self) -> "TrackerConfig":
        from tracklet_reid.errors import InputError

        if self.max_age < 0 or self.min_hits < 0 or not 0.0 <= self.iou_threshold <= 1.0 or (
                self.reference_fps is not None and not self.reference_fps > 0) or self.algorithm not in TRACKERS or (
                self.scores not in SCORE_MODES) or (
                self.lost_seconds is not None and not self.lost_seconds > 0) or (
                self.high_score is not None and not 0 <= self.high_score <= 1) or (
                self.match_iou is not None and not 0 < self.match_iou <= 1) or (
                self.motion_fps is not None and not self.motion_fps >= 0):
            raise InputError(f"tracker settings out of range: {self}")
        return self
