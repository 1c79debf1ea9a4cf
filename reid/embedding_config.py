"""How tracklets are embedded for merge, match and evaluate (light: read by the command line)."""
from __future__ import annotations

from dataclasses import dataclass

from tracklet_reid.settings import setting


@dataclass(frozen=True)
class EmbedConfig:
    """How tracklets are embedded for merge, match and evaluate."""

    frames: int = setting(16, "frames per tracklet to embed, evenly spaced (0: all)", flag="embed-frames",
                          aliases=("--frames",))
    device: str | None = setting(None, "cpu, cuda, cuda:1 (unset: automatic)")
