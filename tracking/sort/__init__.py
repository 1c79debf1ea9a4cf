"""SORT (Bewley et al., ICIP 2016): tracker.py."""
from tracking.association import associate, iou_matrix
from tracking.sort.tracker import SortTracker
from tracking.tracker_api import FrameResult
from tracking.tracker_config import TrackerConfig

__all__ = ["FrameResult", "SortTracker", "TrackerConfig", "associate", "iou_matrix"]
