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
    camera_norm: bool | None = setting(None, "standardise features per camera before comparing tracklets of "
                                       "different cameras (reid/models/camera_norm.py); unset: on for downloaded and "
                                       "baseline models and models of the contrast learner, off for UTAL's")
    # ONNX models (and baselines): how their input is made. A learned model of ours brings its own.
    input_height: int | None = setting(None, "input size of an ONNX model or a baseline (unset: the ONNX graph's "
                                       "own, else 256x128)", flag="input-size", pair="input_width")
    input_width: int | None = setting(None, "input width", cli=False)
    pixel_scale: str = setting("imagenet", "ONNX input pixels: imagenet (0-1, ImageNet mean/std: torchreid, "
                               "BoxMOT, fast-reid exports), unit (0-1) or 255", choices=("imagenet", "unit", "255"))
    bgr: bool = setting(False, "ONNX input channels in BGR order (off: RGB)")

    def camera_norm_for(self, learner: str | None) -> bool:
        """Whether to standardise per camera for a model learned here by ``learner`` (None: a
        downloaded or baseline model). Chosen on CUHK03's training identities (docs/accuracy.md):
        a model that never saw these cameras gains most (OSNet mAP 0.250 -> 0.376); so does one
        learned by the contrast learner, whose inter-camera term pulls only the identities it found
        (0.341 -> 0.353 from ImageNet, 0.441 -> 0.475 adapted from OSNet); one learned by UTAL was
        already pulled across cameras by CCTA and changed little or lost (0.099 -> 0.104, 0.494 ->
        0.484; the synthetic demo 0.782 -> 0.757): off."""
        if self.camera_norm is not None:
            return self.camera_norm
        return learner != "utal"

    @property
    def input_hw(self) -> tuple[int, int] | None:
        if self.input_height is None or self.input_width is None:
            return None
        return (self.input_height, self.input_width)


# what `--model` takes, in every command that embeds tracklets (load_model reads each)
MODEL_HELP = ("a `pipeline learn` folder, a downloaded embedder (X.onnx, or X.xml: OpenVINO IR, used frozen), or a "
              "baseline: imagenet:BACKBONE[:WEIGHTS] or colour")

# the benchmark protocols (evaluate) embed every frame of a tracklet
BENCHMARK_EMBEDDING = EmbedConfig(frames=0)
