"""ByteTrack (Zhang et al., ECCV 2022): tracker.py."""
from tracking.bytetrack.tracker import ByteTracker, ByteTrackParams

__all__ = ["ByteTrackParams", "ByteTracker"]
