"""The Python API: the main job in a few calls, each returning a typed result.

    extract(videos, store)        -> ExtractResult   videos -> detections -> tracks -> tracklet store
    learn(store, out)             -> LearnResult     UTAL, without labels -> out/model.pt
    embed(store, model)           -> TrackletFeatures
    merge(store, model)           -> Trajectories    fragments of one person in one camera joined
    match(store, model)           -> Identities      global identities across cameras, ranked matches
    evaluate(model, benchmark)    -> RankResult      CMC / mAP / mINP on an imported benchmark

Each takes its stage's config dataclass (the same one the `pipeline` command's flags come from);
None means the defaults. Nothing here writes reports: the `pipeline` command does that.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from reid.association.config import MatchConfig, MergeConfig
    from reid.association.network import Identities, Trajectories
    from reid.eval.rank_metrics import RankResult
    from reid.models.embedding import ReidModel, TrackletFeatures
    from reid.models.embedding_config import EmbedConfig
    from reid.utal.config import LearnConfig
    from tracking.extract_config import ExtractConfig
    from tracking.multi_camera import ExtractResult


@dataclass
class LearnResult:
    model_dir: Path  # give it to embed / merge / match / evaluate as the model
    last_epoch: dict  # the final epoch's metrics (losses, images/s; retrieval where the store has ground truth)


def extract(videos: str | Path, store: str | Path, config: ExtractConfig | None = None, *,
            mot_dir: str | Path | None = None, gt_dir: str | Path | None = None,
            quiet: bool = True) -> ExtractResult:
    from tracking.extract_config import ExtractConfig
    from tracking.multi_camera import extract_cameras

    return extract_cameras(str(videos), str(store), config or ExtractConfig(), mot_dir=_opt(mot_dir), quiet=quiet,
                           gt_dir=_opt(gt_dir))


def learn(store: str | Path, out: str | Path, config: LearnConfig | None = None, *, resume: bool = False,
          progress: bool = False, log: Callable[[str], None] = lambda message: None) -> LearnResult:
    from reid.engine.trainer import Trainer
    from reid.utal.config import LearnConfig

    last = Trainer(store, out, config or LearnConfig(), resume=resume, progress=progress, log=log).fit()
    return LearnResult(Path(out), last)


def load_model(model: str | Path, device: str | None = None) -> ReidModel:
    """A `learn` output folder, or a baseline: ``imagenet:BACKBONE[:WEIGHTS]`` or ``colour``."""
    from reid.models.embedding import load_model as _load

    return _load(model, device)


def embed(store: str | Path, model: str | Path, config: EmbedConfig | None = None) -> TrackletFeatures:
    from reid.models.embedding import EmbedConfig, embed_store

    return embed_store(store, model, config or EmbedConfig())


def merge(store: str | Path, model: str | Path, config: MergeConfig | None = None,
          embedding: EmbedConfig | None = None, *, mot_dir: str | Path | None = None,
          gt_dir: str | Path | None = None) -> Trajectories:
    """Trajectories within each camera; ``.scores`` holds what ground truth measures (NMI where the
    store's tracklets carry identities; per-camera MOTA / IDF1 before and after with the tracker
    output ``mot_dir`` and its ground truth ``gt_dir``): the numbers `pipeline merge` prints."""
    from reid.association.config import MergeConfig
    from reid.association.network import merge_cameras
    from reid.eval.association import score_merge

    features = _features(store, model, embedding, mot_dir, gt_dir)
    result = merge_cameras(features.features, features.index, config or MergeConfig(), thirds=features.thirds)
    result.scores = score_merge(features.store, features.index, result.labels, _opt(mot_dir), _opt(gt_dir))
    return result


def match(store: str | Path, model: str | Path, config: MatchConfig | None = None,
          embedding: EmbedConfig | None = None, *, mot_dir: str | Path | None = None,
          gt_dir: str | Path | None = None) -> Identities:
    """Global identities across cameras; ``.scores`` holds what ground truth measures (cross-camera
    pair precision / recall and retrieval where the store's tracklets carry identities;
    multi-camera IDF1 / HOTA with the tracker output ``mot_dir`` and its ground truth ``gt_dir``):
    the numbers `pipeline match` prints."""
    from reid.association.config import MatchConfig
    from reid.association.network import match_cameras
    from reid.eval.association import score_match

    features = _features(store, model, embedding, mot_dir, gt_dir)
    result = match_cameras(features.features, features.index, config or MatchConfig(), features.across,
                           thirds=features.thirds)
    result.scores = score_match(features.store, features.index, result.labels, features.across, _opt(mot_dir),
                                _opt(gt_dir))
    return result


def _features(store: str | Path, model: str | Path, embedding: EmbedConfig | None,
              mot_dir: str | Path | None, gt_dir: str | Path | None) -> TrackletFeatures:
    """The store embedded, once tracker output to relabel is known to be the store's own."""
    from reid.eval.association import check_mot_dirs, check_tracks_belong
    from reid.models.embedding import EmbedConfig, embed_store
    from reid.tracklet_index import TrackletIndex
    from tracking.store import TrackletStore

    check_mot_dirs(_opt(mot_dir), _opt(gt_dir))
    st = TrackletStore(store)
    index = TrackletIndex.from_store(st)
    check_tracks_belong(index, st, _opt(mot_dir))
    return embed_store(st, model, embedding or EmbedConfig(), index=index, thirds=True)


def evaluate(model: str | Path, benchmark: str | Path, split: int | None = None, frames: int = 0,
             device: str | None = None, rerank: bool = False) -> RankResult:
    from reid.eval.protocol import evaluate_benchmark
    from reid.models.embedding_config import EmbedConfig

    return evaluate_benchmark(str(model), str(benchmark), split, EmbedConfig(frames=frames, device=device),
                              progress=False, rerank=rerank)[0]


def _opt(p: str | Path | None) -> str | None:
    return None if p is None else str(p)
