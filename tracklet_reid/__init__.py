"""tracklet-reid: label-free person re-identification from multi-camera video.

    import tracklet_reid as tr
    tr.extract("cams/", "tracklets.h5")
    model = tr.learn("tracklets.h5", "model/").model_dir
    trajectories = tr.merge("tracklets.h5", model)
    identities = tr.match("tracklets.h5", model)

Every name below is imported on first use (a module `__getattr__`, as roboflow/trackers does), so
`import tracklet_reid` costs nothing and pulls in torch only when a stage runs.
"""
from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS = {
    "extract": "tracklet_reid.api", "learn": "tracklet_reid.api", "embed": "tracklet_reid.api",
    "merge": "tracklet_reid.api", "match": "tracklet_reid.api", "evaluate": "tracklet_reid.api",
    "load_model": "tracklet_reid.api", "LearnResult": "tracklet_reid.api",
    "InputError": "tracklet_reid.errors", "StoreError": "tracklet_reid.errors",
    "ExtractConfig": "tracking.extract_config", "DetectorConfig": "detection.factory",
    "TrackerConfig": "tracking.tracker_config", "TrackletConfig": "tracking.tracklets",
    "LearnConfig": "reid.utal.config", "EmbedConfig": "reid.models.embedding_config",
    "MergeConfig": "reid.association.config", "MatchConfig": "reid.association.config",
    "ExtractResult": "tracking.multi_camera",
    "TrackletFeatures": "reid.models.embedding", "ReidModel": "reid.models.embedding",
    "Trajectories": "reid.association.network", "Identities": "reid.association.network",
    "RankResult": "reid.eval.rank_metrics", "TrackletStore": "tracking.store", "TrackletSet": "tracking.store",
    "generate_world": "tracklet_reid.synthetic.world", "world_config": "tracklet_reid.synthetic.world",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tracklet_reid' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
