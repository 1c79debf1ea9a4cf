"""`pipeline learn --pretrained X.xml`: a site adapter for a frozen OpenVINO model (projection.py),
written as a model folder every `--model` reads."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from reid.adapter.projection import fit_projection
from reid.eval.protocol import training_index
from reid.models.embedding import MODEL_FILE, load_model, save_site_adapter
from reid.utal.config import LearnConfig
from tracking.store import TrackletStore
from tracklet_reid.output_paths import output_folder

WRITES = (MODEL_FILE, "learn.yaml")


def learn_site_adapter(store_path: str | Path, out: str | Path, cfg: LearnConfig, progress: bool = True,
                       log: Callable[[str], None] = print) -> Path:
    """Embed the store's training tracklets with the frozen model ``cfg.pretrained``, fit the
    projection, and write ``out``/model.pt (and learn.yaml); returns the model file."""
    from tracklet_reid.config_io import save_config

    out = Path(out)
    store = TrackletStore(store_path)
    index = training_index(store, cfg.split)
    with output_folder(out, {"store": store_path, "--pretrained": cfg.pretrained}, WRITES, command="learn",
                       settings=dataclasses.asdict(cfg)):
        t0 = time.perf_counter()
        model = load_model(str(cfg.pretrained), cfg.device)
        log(f"learn: {model.name} cannot be fine-tuned here (OpenVINO IR: no PyTorch weights); learning a site "
            "adapter on its frozen features instead (reid/adapter/projection.py)")
        features = model.tracklet_features(store, index, max_frames=16, progress=progress)
        proj = fit_projection(features, index.camera_of)
        path = save_site_adapter(out, Path(str(cfg.pretrained)), proj.matrix, {
            "learn_config": {"learner": "adapter", "pretrained": str(cfg.pretrained), "split": cfg.split},
            "pairs": proj.pairs, "tracklets": proj.tracklets})
        save_config(cfg, out / "learn.yaml")
        d, k = proj.matrix.shape
        log(f"learn: site adapter from {proj.pairs} cross-camera pairs of {proj.tracklets} tracklets, {d} -> {k} "
            f"dimensions, {time.perf_counter() - t0:.0f} s -> {path}")
    return path
