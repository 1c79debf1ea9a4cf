"""A benchmark's own protocol (query / gallery or split, junk ids) on a store made by `pipeline import`."""
from __future__ import annotations

import json

import numpy as np
import torch

from reid.eval.rank_metrics import RankResult, evaluate_features
from reid.models.embedding_config import BENCHMARK_EMBEDDING, EmbedConfig
from reid.tracklet_index import TrackletIndex
from tracking.store import TrackletSet, TrackletStore
from tracklet_reid.errors import InputError


def protocol_sets(store: TrackletStore, split: int | None) -> tuple[TrackletIndex, TrackletIndex, tuple]:
    """(query, gallery, junk ids). Split-based sets query camera 1 against camera 2 of the split's
    test identities."""
    attrs = store.attrs
    if "benchmark" not in attrs:
        raise InputError(f"{store.path}: not a benchmark store (made by `pipeline import`); for stores from "
                         "extract with ground truth, `pipeline learn` and `pipeline match` report cross-camera metrics")
    junk = tuple(json.loads(attrs.get("junk_ids", "[]")) if isinstance(attrs.get("junk_ids"), str)
                 else attrs.get("junk_ids", []))
    splits = saved_splits(store)
    if split is not None and not splits:
        raise InputError(f"{store.path}: --split {split}, but {attrs['benchmark']} has no splits (it has a fixed "
                         "query/gallery protocol): leave --split out")
    if splits:
        if split is None or not 0 <= split < len(splits):
            raise InputError(f"{store.path}: {attrs['benchmark']} is evaluated per split: "
                             f"give --split 0..{len(splits) - 1}")
        test = splits[split]["test"]
        cams = store.cameras
        q = TrackletIndex.from_store(store, cams[:1], select=lambda c: (c.tracklet_set == TrackletSet.TEST)
                                     & np.isin(c.gt_identity, test))
        g = TrackletIndex.from_store(store, cams[1:2], select=lambda c: (c.tracklet_set == TrackletSet.TEST)
                                     & np.isin(c.gt_identity, test))
        return q, g, junk
    q = TrackletIndex.from_store(store, select=lambda c: c.tracklet_set == TrackletSet.QUERY)
    g = TrackletIndex.from_store(store, select=lambda c: c.tracklet_set == TrackletSet.GALLERY)
    return q, g, junk


def evaluate_benchmark(model_spec: str, store_path: str, split: int | None = None,
                       embed: EmbedConfig = BENCHMARK_EMBEDDING, progress: bool = True,
                       rerank: bool = False) -> tuple[RankResult, dict]:
    """The benchmark's own protocol for ``model_spec``; ``embed`` says how (frames, device,
    camera normalisation, an ONNX model's input)."""
    from reid.models.embedding import load_model

    store = TrackletStore(store_path)
    model = load_model(model_spec, embed.device, cfg=embed)
    _check_split(model, store, split)
    return _evaluate(model, store, split, embed, progress, rerank)


def evaluate_all_splits(model_spec: str, store_path: str, embed: EmbedConfig = BENCHMARK_EMBEDDING,
                        progress: bool = True, rerank: bool = False) -> tuple[dict, list[dict], dict]:
    """PRID2011 / iLIDS-VID: the protocol's mean (and standard deviation) over every saved split,
    for a model that learned none of their identities (a download or a baseline; a model learned on
    one split's training identities has seen the others' test people: one model per split)."""
    from reid.models.embedding import load_model

    store = TrackletStore(store_path)
    splits = saved_splits(store)
    if not splits:
        raise InputError(f"{store.path}: --split all, but {store.attrs.get('benchmark', 'this store')} has no "
                         "splits: leave --split out")
    model = load_model(model_spec, embed.device, cfg=embed)
    if model.trained_split is not None:
        raise InputError(f"{model_spec}: learned on split {model.trained_split}'s training identities, which are "
                         f"test identities of other splits: evaluate it with --split {model.trained_split} (the "
                         "protocol averages one model per split)")
    # the splits' test people overlap: every test tracklet is embedded once, not once per split
    cache: dict[tuple[str, int], torch.Tensor] = {}
    for cam in store.cameras[:2]:
        every = TrackletIndex.from_store(store, [cam], select=lambda c: c.tracklet_set == TrackletSet.TEST)
        feats = model.tracklet_features(store, every, max_frames=embed.frames, progress=progress)
        cache.update(zip(((cam, int(t)) for t in every.local_of), feats))
    per = []
    info: dict = {}
    for k in range(len(splits)):
        r, info = _evaluate(model, store, k, embed, progress, rerank, cache)
        per.append({"split": k, **r.as_dict()})
    keys = [k for k in per[0] if k not in ("split", "num_queries", "num_skipped")]
    mean = {k: float(np.mean([p[k] for p in per])) for k in keys}
    mean.update({f"{k}_std": float(np.std([p[k] for p in per])) for k in keys})
    return mean, per, {**info, "split": "all", "splits": len(splits)}


def saved_splits(store: TrackletStore) -> list:
    """PRID2011 / iLIDS-VID: the splits saved in the store by `pipeline import` ([] for others)."""
    splits = store.attrs.get("splits")
    return json.loads(splits) if isinstance(splits, str) else (splits or [])


def training_index(store: TrackletStore, split: int | None) -> TrackletIndex:
    """The tracklets learning may use (`training_tracklets`): split ``split``'s training identities
    where it is given (PRID2011, iLIDS-VID)."""
    from reid.tracklet_index import training_tracklets

    chosen = None
    if split is not None:
        splits = saved_splits(store)
        if not splits or not 0 <= split < len(splits):
            raise InputError(f"{store.path}: no split {split} in this store")
        chosen = splits[split]
    return TrackletIndex.from_store(store, select=training_tracklets(chosen))


def _check_split(model, store: TrackletStore, split: int | None) -> None:
    if model.trained_split is not None and split is not None and split != model.trained_split:
        raise InputError(f"{store.path}: the model learned on split {model.trained_split}'s training identities, "
                         f"which include split {split}'s test people: evaluate it with --split {model.trained_split}")


# noqa reason: the model, the store, the index and how to embed; the cache of features already made
def _features(model, store: TrackletStore, index: TrackletIndex, embed: EmbedConfig,  # noqa: PLR0913
              progress: bool, cache: dict[tuple[str, int], torch.Tensor] | None) -> torch.Tensor:
    if cache is None:
        return model.tracklet_features(store, index, max_frames=embed.frames, progress=progress)
    rows = [cache[(index.cameras[c], int(t))] for c, t in zip(index.camera_of, index.local_of)]
    return torch.stack(rows) if rows else torch.zeros(0, 0)


# noqa reason: the loaded model and store, then the five evaluation choices
def _evaluate(model, store: TrackletStore, split: int | None, embed: EmbedConfig,  # noqa: PLR0913
              progress: bool, rerank: bool,
              cache: dict[tuple[str, int], torch.Tensor] | None = None) -> tuple[RankResult, dict]:
    store_path = str(store.path)
    q, g, junk = protocol_sets(store, split)
    qf = _features(model, store, q, embed, progress, cache)
    gf = _features(model, store, g, embed, progress, cache)
    cam_code = {c: i for i, c in enumerate(store.cameras)}
    q_cams = np.array([cam_code[q.cameras[c]] for c in q.camera_of])
    g_cams = np.array([cam_code[g.cameras[c]] for c in g.camera_of])
    if split is not None and store.attrs.get("splits"):
        q_cams, g_cams = np.zeros_like(q_cams), np.ones_like(g_cams)
    junk_mask = np.isin(g.gt, junk)
    norm = embed.camera_norm_for(model.learner)
    if norm:  # over all the test tracklets of each camera, no labels
        from reid.models.camera_norm import across_cameras

        both = across_cameras(torch.cat([qf, gf]), np.concatenate([q_cams, g_cams]), model.projection)
        qf, gf = both[: len(qf)], both[len(qf):]
    if rerank:
        from reid.eval.rank_metrics import rank_metrics
        from reid.eval.rerank import rerank as k_reciprocal

        r = rank_metrics(k_reciprocal(qf.numpy(), gf.numpy()), q.gt, q_cams, g.gt, g_cams, g_junk=junk_mask)
    else:
        r = evaluate_features(qf.numpy(), gf.numpy(), q.gt, q_cams, g.gt, g_cams, g_junk=junk_mask)
    if r.num_skipped >= q.num_tracklets:
        raise InputError(f"{store_path}: nothing was evaluated: all {q.num_tracklets} queries were skipped (no "
                         "gallery tracklet of their identity in another camera)")
    name = model.name + (" + camera norm" if norm else "")
    info = {"benchmark": store.attrs["benchmark"], "model": name, "split": split, "queries": q.num_tracklets,
            "gallery": g.num_tracklets, "reranked": rerank}
    return r, info
