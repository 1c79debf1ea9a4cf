"""`extract` settings: detector, tracker, tracklets and how crops are stored."""
from __future__ import annotations

from dataclasses import dataclass

from detection.factory import DetectorConfig
from detection.video import checked_fps
from tracking.clock import parse_start_time
from tracking.tracker_config import TrackerConfig
from tracking.tracklets import TrackletConfig
from tracklet_reid.config_io import to_dict
from tracklet_reid.errors import InputError
from tracklet_reid.settings import setting

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class ExtractConfig:
    detector: DetectorConfig = DetectorConfig()
    # SORT's ages stay anchored at 10 fps and rescaled to each video's real rate; the other trackers
    # count their lost time in seconds of video.
    tracker: TrackerConfig = TrackerConfig(reference_fps=10.0)
    tracklets: TrackletConfig = TrackletConfig()
    crop_encoding: str = setting("jpeg", "how crops are stored: jpeg is 17x smaller than raw (docs/tracklet-store.md)",
                                 choices=("jpeg", "raw"))
    jpeg_quality: int = setting(90, "JPEG quality of stored crops")
    fps: float | None = setting(None, "override the videos' frame rate (unset: each video's own)")
    start_time: str | None = setting(None, "the network's clock at every camera's first frame: seconds, or a date-time "
                                     "such as 2026-12-03T08:00:00 (UTC unless it names a zone); unset: 0")
    clock_offsets: str | None = setting(None, "YAML or JSON file of camera: seconds added to --start-time, for "
                                        "cameras that started recording at other times or whose clocks are off")
    reid_model: str | None = setting(None, "re-id model whose embeddings join IoU in the tracker's association "
                                     "(botsort): a `pipeline learn` folder or an ONNX embedder")
    skip_bad_cameras: bool = setting(False, "extract the cameras that can be read when some cannot (the store, the "
                                     "summary and `inspect` name the skipped ones); without it an unreadable camera "
                                     "stops the run before any work")
    workers: int = setting(1, "cameras processed in parallel (processes; with --backend ray, the CPUs of the local "
                           "Ray instance it starts)")
    backend: str = setting("local", "local: worker processes on this machine; ray: every camera a task on a Ray "
                           "cluster (pip install 'tracklet-reid[ray]'; docs/cluster.md)", choices=BACKENDS)
    ray_address: str | None = setting(None, "--backend ray: the cluster to join, e.g. ray://head:10001 (unset: "
                                      "RAY_ADDRESS, else a local instance)")

    def validate(self) -> "ExtractConfig":
        self.detector.validate()
        self.tracker.validate()
        self.tracklets.validate()
        checked_fps(self.fps)
        parse_start_time(self.start_time)
        if self.reid_model and self.tracker.algorithm != "botsort":
            raise InputError(f"--reid-model: the {self.tracker.algorithm} tracker uses no appearance; use it with "
                             "--tracker botsort")
        if self.backend not in BACKENDS:
            raise InputError(f"--backend {self.backend!r}: one of {', '.join(BACKENDS)}")
        if self.crop_encoding not in ("jpeg", "raw") or not 1 <= self.jpeg_quality <= 100 or self.workers < 1:
            raise InputError(f"extract settings out of range: crop_encoding {self.crop_encoding!r}, "
                             f"jpeg_quality {self.jpeg_quality}, workers {self.workers}")
        return self

    def tracking_settings(self) -> dict:
        """What decides the content of the store: a resumed run must use the same."""
        d = to_dict(self)
        for key in ("workers", "backend", "ray_address", "skip_bad_cameras"):  # where it runs, not what it makes
            d.pop(key)
        d["detector"].pop("device")
        d["detector"].pop("batch_size")
        return d


def setting_differences(a, b, prefix: str = "") -> list[str]:
    """Each setting (dotted path) whose value differs between two settings dicts: "key a vs b"."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += setting_differences(a.get(k), b.get(k), f"{prefix}{k}.")
        return out
    return [] if a == b else [f"{prefix.rstrip('.')} {a!r} vs {b!r}"]
