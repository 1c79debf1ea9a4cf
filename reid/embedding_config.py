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
    camera_norm: bool = setting(True, "standardise features per camera before comparing tracklets of different "
                                "cameras (removes each camera's light and background; reid/camera_norm.py)")
    # ONNX models (and baselines): how their input is made. A learned model of ours brings its own.
    input_height: int | None = setting(None, "input size of an ONNX model or a baseline (unset: the ONNX graph's "
                                       "own, else 256x128)", flag="input-size", pair="input_width")
    input_width: int | None = setting(None, "input width", cli=False)
    pixel_scale: str = setting("imagenet", "ONNX input pixels: imagenet (0-1, ImageNet mean/std: torchreid, "
                               "BoxMOT, fast-reid exports), unit (0-1) or 255", choices=("imagenet", "unit", "255"))
    bgr: bool = setting(False, "ONNX input channels in BGR order (off: RGB)")

    @property
    def input_hw(self) -> tuple[int, int] | None:
        if self.input_height is None or self.input_width is None:
            return None
        return (self.input_height, self.input_width)
