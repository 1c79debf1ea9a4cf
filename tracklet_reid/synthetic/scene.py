"""What a rendered world is made of: its settings, its cameras and the visits people make to
them (shared by the renderer, `world`, and the network preset, `network_video`)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorldConfig:
    cameras: int = 4
    identities: int = 36
    frames: int = 500  # at fps: the span of time every camera records (network: each at its own rate)
    fps: float = 10.0
    width: int = 640
    height: int = 360
    h_near: float = 170.0  # person height (px) at the bottom of the frame
    h_far: float = 70.0  # at the far edge of the walkable ground
    cast: float = 0.22  # per-channel colour gain spread between cameras
    blur: float = 0.8
    noise: float = 5.0
    occluders: int = 2  # static occluders per camera: they fragment tracks
    palette: int = 6  # shirt colours in use: fewer = more people share one
    det_miss: float = 0.08
    fp_rate: float = 0.1  # false positives per frame
    jitter: float = 0.05  # detection box noise, fraction of size
    re_entry: float = 0.3  # chance that a person comes back into a view they left
    visits: tuple[int, int] = (2, 3)  # places each identity walks through (min, max)
    overlap: bool = False  # cameras 1+2, 3+4, ... watch one place each (an odd last camera alone)
    partner_sees: float = 0.85  # with overlap: chance that the second view of a place sees a visit too
    network: bool = False  # places on a walking graph, own frame rates and clocks (`network_video`)
    fps_choices: tuple[float, ...] = (5.0, 10.0, 12.5)  # network: each camera's frame rate, one of these
    max_offset_s: float = 20.0  # network: cameras start recording up to this long after the first
    transit_s: tuple[float, float] = (5.0, 30.0)  # network: range of the links' median transit times
    seed: int = 0


@dataclass
class Camera:
    name: str
    ground: tuple
    gain: tuple  # per-channel colour cast
    brightness: float
    blur: float
    noise: float
    horizon: float  # y of the far edge of the walkable ground
    scale: float  # viewpoint: person size multiplier
    occluders: list[dict] = field(default_factory=list)
    fps: float = 0.0  # its own frame rate and length (network preset), else the world's
    frames: int = 0
    start_s: float = 0.0  # true time of its first frame: its clock is behind by this much


@dataclass
class Visit:
    pid: int
    camera: int
    start: int  # first frame
    x0: float
    x1: float
    y0: float  # feet y at entry / exit
    y1: float
    speed: float  # px per frame at the near edge

    def duration(self, cam: Camera, cfg: WorldConfig) -> int:
        return int(abs(self.x1 - self.x0) / max(self.speed, 1e-6)) + 1
