"""Appearance for the tracker (`extract --reid-model`): a re-id model that embeds one frame's
detection boxes, so that BoT-SORT's association weighs looks beside overlap. Any model `merge`
takes works: a `pipeline learn` folder (extract -> learn -> extract again closes the loop) or an
ONNX embedder."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from reid.models.embedding import load_model
from reid.models.pixels import normalize_batch
from tracking.tracklets import crop_box


def box_embedder(spec: str, margin: float = 0.0, device: str | None = None
                 ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """(frame BGR (H, W, 3) uint8, boxes (n, 4) xyxy) -> (n, D) float32 embeddings, each box cropped
    with ``margin`` (the store's crop margin) and resized to the model's input."""
    import cv2

    model = load_model(spec, device)
    h, w = model.input_hw

    @torch.no_grad()
    def embed(frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        crops = [cv2.resize(crop_box(frame, b, margin), (w, h), interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
                 for b in np.asarray(boxes).reshape(-1, 4)]
        if not crops:
            return np.zeros((0, 0), np.float32)
        x = torch.from_numpy(np.ascontiguousarray(np.stack(crops)))
        return model.module(normalize_batch(x, model.device)).float().cpu().numpy()

    return embed
