"""OC-SORT (Cao et al., CVPR 2023): tracker.py."""
from tracking.ocsort.tracker import OCSortParams, OCSortTracker

__all__ = ["OCSortParams", "OCSortTracker"]
