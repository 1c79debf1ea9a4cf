"""A synthetic multi-camera world with full ground truth (see generate_world)."""
from tracklet_reid.synthetic.world import DIFFICULTIES, SIZES, WorldConfig, generate_world, world_config

__all__ = ["DIFFICULTIES", "SIZES", "WorldConfig", "generate_world", "world_config"]
