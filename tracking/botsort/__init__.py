"""BoT-SORT (Aharon et al., 2022): tracker.py."""
from tracking.botsort.tracker import BotSortParams, BotSortTracker

__all__ = ["BotSortParams", "BotSortTracker"]
