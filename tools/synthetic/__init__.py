"""A synthetic multi-camera world with full ground truth (see generate_world)."""
from tools.synthetic.world import DIFFICULTIES, SIZES, WorldConfig, generate_world, world_config

__all__ = ["DIFFICULTIES", "SIZES", "WorldConfig", "generate_world", "world_config"]
