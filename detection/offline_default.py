"""The detector a user gets without choosing one: ultralytics YOLO where it loads (installed, and
its weights local or downloadable), else, offline, the best offline person detector found on this
machine: Intel's pedestrian-detection-adas-0002 (OpenVINO IR, Apache-2.0), which found 0.859 of the
PETS09 people at precision 0.929 against the Darknet body model's 0.835 / 0.669
(../shared/data/README.md). Resolved once, before any video is read, so the store records the
detector that actually ran."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from detection.factory import DetectorConfig
from tracklet_reid.errors import InputError

INTEL_PEDESTRIAN = "intel-pedestrian-detection-adas-0002/pedestrian-detection-adas-0002.xml"
# where the weights this project was measured with live on its machines; TRACKLET_REID_WEIGHTS names
# another folder of the same layout
WEIGHT_DIRS = (Path(__file__).resolve().parents[2] / "shared" / "data" / "weights",)


def offline_detector_model() -> Path | None:
    """The Intel pedestrian detector's .xml where a weights folder holds it, else None."""
    env = os.environ.get("TRACKLET_REID_WEIGHTS")
    for folder in ([Path(env)] if env else []) + list(WEIGHT_DIRS):
        xml = folder / INTEL_PEDESTRIAN
        if xml.is_file() and xml.with_suffix(".bin").is_file():
            return xml
    return None


def resolve_detector(cfg: DetectorConfig) -> tuple[DetectorConfig, str | None]:
    """``cfg`` as it will run, and one line saying why when the default had to change. Only the
    untouched default (yolo with no --weights) falls back; a detector the user chose is theirs."""
    if cfg.backend != "yolo" or cfg.weights is not None:
        return cfg, None
    from detection.factory import build_detector

    try:
        build_detector(cfg, "probe")
        return cfg, None
    except InputError as exc:
        xml = offline_detector_model()
        try:
            import openvino  # noqa: F401
        except ImportError:
            xml = None
        if xml is None:
            raise
        why = str(exc).split(";")[0]
        return (dataclasses.replace(cfg, backend="openvino", weights=str(xml)),
                f"detector: yolo unavailable ({why}); using the offline OpenVINO pedestrian detector {xml} "
                "(--detector openvino --weights X.xml chooses it directly)")
