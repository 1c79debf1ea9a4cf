"""Embedding tracklets with a model: the small API that learn, evaluate, merge and match share.

A tracklet's feature is the mean of its frames' embeddings over a deterministic, evenly spaced
subset of at most ``max_frames`` frames (never a random one: two evaluations of one model agree).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from reid.models.embedding_config import EmbedConfig
from reid.models.network import Embedder, ModelConfig
from reid.models.pixels import denormalize_batch, normalize_batch
from reid.models.torch_files import load_torch_file, save_torch_file
from reid.tracklet_index import TrackletIndex
from tracking.store import TrackletStore
from tracklet_reid.errors import InputError, first_line

MODEL_FILE = "model.pt"
def evenly_spaced(count: int, k: int) -> np.ndarray:
    """A deterministic subset of ``k`` frame positions out of ``count`` (all when k <= 0)."""
    if k <= 0 or count <= k:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, k).round().astype(np.int64))


def pick_device(device: str | None = None) -> torch.device:
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise InputError(f"--device {device}: not a device torch knows (use auto, cpu, cuda or cuda:N)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"--device {device}: CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type not in ("cpu", "mps"):
        raise InputError(f"--device {device}: unsupported device type {dev.type!r} (use auto, cpu, cuda or cuda:N)")
    return dev


class _Crops(torch.utils.data.Dataset):
    def __init__(self, store: TrackletStore, cameras: list[str], items: np.ndarray, hw: tuple[int, int]):
        self.store, self.cameras, self.items, self.hw = store, cameras, items, hw

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k):
        import cv2

        cam, crop = self.items[k]
        img = self.store.crop(self.cameras[cam], int(crop), self.store.reduction_for(self.hw))
        if img.shape[:2] != self.hw:
            img = cv2.resize(img, (self.hw[1], self.hw[0]), interpolation=cv2.INTER_AREA)
        return torch.from_numpy(np.ascontiguousarray(img)), k


# noqa reason: the low-level embedding loop learn and every command share; its loader settings
# (batch size, workers, progress) are per call site, not a stage config
@torch.no_grad()
def embed_tracklets(model: nn.Module,  # noqa: PLR0913
                    store: TrackletStore, index: TrackletIndex, input_hw: tuple[int, int],
                    device: torch.device | str = "cpu", max_frames: int = 16, batch_size: int | None = None,
                    workers: int = 0, progress: bool = False, desc: str = "embed",
                    thirds: bool = False) -> torch.Tensor:
    """(N, D) float32 tracklet features on the CPU, rows in ``index`` order. ``thirds``: (N, 3, D),
    the whole tracklet, then the mean of the first and of the last third of the same frames (one
    person some time apart: what merge learns a same-person distance from, at no extra embedding;
    the last third is NaN for a tracklet of one frame)."""
    from tqdm import tqdm

    device = torch.device(device)
    # measured on the 2-core CPU: channels_last with batches of 16 embeds 2.5x faster than
    # contiguous batches of 64 (mobilenet_v2 128x64: 735 vs 290 img/s)
    batch_size = batch_size or (64 if device.type == "cuda" else 16)
    items, owner, third = [], [], []
    for g in range(index.num_tracklets):
        picked = evenly_spaced(int(index.crop_count[g]), max_frames)
        for n, p in enumerate(picked):
            items.append((int(index.camera_of[g]), int(index.crop_start[g] + p)))
            owner.append(g)
            # 0: first third, 1: last third, 2: the middle (goes to neither)
            third.append(0 if 3 * n < len(picked) else 1 if 3 * (n + 1) > 2 * len(picked) else 2)
    items_a = np.asarray(items, dtype=np.int64).reshape(-1, 2)
    owner_t = torch.as_tensor(owner, dtype=torch.long)
    # rows of the parts' sums: N + g for the first third, 2N + g for the last, 3N for a middle frame
    part = torch.as_tensor(third, dtype=torch.long)
    third_t = torch.where(part < 2, owner_t + index.num_tracklets * (1 + part), 3 * index.num_tracklets)
    loader = torch.utils.data.DataLoader(_Crops(store, index.cameras, items_a, (int(input_hw[0]), int(input_hw[1]))),
                                         batch_size=batch_size, num_workers=workers, shuffle=False)
    was_training = model.training
    model.eval()
    sums = None
    model.to(memory_format=torch.channels_last)
    for x, k in tqdm(loader, desc=desc, unit="batch", disable=None if progress else True, leave=False):
        f = model(normalize_batch(x, device)).float().cpu()
        if sums is None:
            sums = torch.zeros(3 * index.num_tracklets + 1 if thirds else index.num_tracklets, f.shape[1])
        sums.index_add_(0, owner_t[k], f)
        if thirds:
            sums.index_add_(0, third_t[k], f)
    model.train(was_training)
    if sums is None:
        return torch.zeros((index.num_tracklets, 3, 0) if thirds else (index.num_tracklets, 0))
    rows = torch.cat([owner_t, third_t]) if thirds else owner_t
    counts = torch.bincount(rows, minlength=len(sums)).unsqueeze(1).float()
    if not thirds:
        return sums / counts.clamp_min(1)
    # a tracklet of one frame has no last third: NaN, never a feature made of nothing
    return (sums / counts)[:-1].reshape(3, index.num_tracklets, -1).transpose(0, 1).contiguous()


def save_model(embedder: Embedder, cfg: ModelConfig, input_hw: tuple[int, int], out_dir: Path, extra: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILE
    state = {k: v.detach().cpu() for k, v in embedder.state_dict().items()}
    if embedder.onnx_graph is not None:  # the architecture, as data: model.pt stays self-contained
        extra = {**extra, "onnx_graph": torch.frombuffer(bytearray(embedder.onnx_graph), dtype=torch.uint8)}
    save_torch_file({"format": "tracklet-reid/model", "version": 1, "model": json.loads(json.dumps(cfg.__dict__)),
                     "input_hw": list(input_hw), "state": state, **extra}, path)
    return path


class ReidModel:
    """A learned embedding model (from `pipeline learn`) or a baseline, ready to embed."""

    def __init__(self, module: nn.Module, input_hw: tuple[int, int], name: str, device: torch.device,
                 learner: str | None = None, trained_split: int | None = None,
                 projection: torch.Tensor | None = None):
        self.module = module.to(device).eval()
        # a site adapter's projection, applied after per-camera standardisation (reid/adapter)
        self.projection = projection
        # the learner of a `pipeline learn` model (utal, contrast); None for a download or baseline
        self.learner = learner
        # the PRID2011 / iLIDS-VID split whose training identities it learned from (None: no split)
        self.trained_split = trained_split
        self.input_hw: tuple[int, int] = (int(input_hw[0]), int(input_hw[1]))
        self.name = name
        self.device = device

    def tracklet_features(self, store: TrackletStore, index: TrackletIndex, max_frames: int = 16,
                          batch_size: int | None = None, workers: int = 0, progress: bool = False,
                          thirds: bool = False) -> torch.Tensor:
        """(N, D) features of ``index``'s tracklets, each the mean over ``max_frames`` evenly spaced
        frames (0: all); ``thirds``: (N, 3, D) as `embed_tracklets` gives. A model that gives NaN or
        inf is refused: every distance would be meaningless, and merge and match would quietly link
        nothing."""
        out = embed_tracklets(self.module, store, index, self.input_hw, self.device, max_frames,
                              batch_size, workers, progress, desc=f"embed ({self.name})", thirds=thirds)
        feats = out[:, 0] if thirds else out
        bad = ~torch.isfinite(feats).all(1)
        if bool(bad.any()):
            raise InputError(f"model {self.name}: non-finite features (NaN or inf) for {int(bad.sum())} of "
                             f"{len(feats)} tracklets; its weights are damaged or diverged in training")
        return out


def load_model(spec: str | Path, device: str | None = None, input_hw: tuple[int, int] = (256, 128),
               cfg: EmbedConfig | None = None) -> ReidModel:
    """``spec``: a `pipeline learn` output folder (or its model.pt), an ONNX re-id embedder
    (`X.onnx`), an OpenVINO IR re-id embedder (`X.xml`, used frozen), or a baseline:
    `imagenet:BACKBONE[:WEIGHTS]` (pooled trunk features, no training) or `colour` (HSV
    histograms). ``input_hw`` is the baselines' input size (a learned model brings its own, an ONNX
    or IR graph names its own); ``cfg`` overrides the input size and a downloaded model's pixel
    convention."""
    dev = pick_device(device)
    s = str(spec)
    asked = cfg.input_hw if cfg is not None else None
    input_hw = asked or input_hw
    if s.lower().endswith(".onnx"):
        from reid.models.onnx_model import OnnxEmbedder

        onnx = OnnxEmbedder(s, cfg.pixel_scale if cfg else "imagenet", cfg.bgr if cfg else False)
        if asked and onnx.graph_hw and asked != onnx.graph_hw:
            raise InputError(f"{s}: this ONNX graph takes {onnx.graph_hw[0]}x{onnx.graph_hw[1]} input only, not "
                             f"--input-size {asked[0]}x{asked[1]}")
        # onnxruntime runs on the CPU here; the embedding loop hands it CPU tensors
        return ReidModel(onnx, onnx.graph_hw or input_hw, f"ONNX {Path(s).name}", torch.device("cpu"))
    if s.lower().endswith(".xml"):
        from reid.models.openvino_model import OpenVinoEmbedder

        ir = OpenVinoEmbedder(s, _ir_scale(cfg))
        if asked and ir.graph_hw and asked != ir.graph_hw:
            raise InputError(f"{s}: this OpenVINO graph takes {ir.graph_hw[0]}x{ir.graph_hw[1]} input only, not "
                             f"--input-size {asked[0]}x{asked[1]}")
        return ReidModel(ir, ir.graph_hw or input_hw, f"OpenVINO {Path(s).name}", torch.device("cpu"))
    if s in ("colour", "color"):
        return ReidModel(ColourHistogram(), input_hw, "colour histogram", dev)
    if s.startswith("imagenet:"):
        parts = s.split(":", 2)
        from reid.models.backbones import build_backbone

        weights = parts[2] if len(parts) > 2 else "imagenet"
        trunk, _ = build_backbone(parts[1], weights)
        name = f"untrained {parts[1]}" if weights in ("", "none") else f"ImageNet {parts[1]}"
        return ReidModel(nn.Sequential(trunk, nn.AdaptiveAvgPool2d(1), nn.Flatten()), input_hw, name, dev)
    path = Path(s)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise InputError(f"{spec}: no model here (expected a `pipeline learn` folder with {MODEL_FILE})")
    ckpt = load_torch_file(path, "model file")
    if isinstance(ckpt, dict) and ckpt.get("format") == SITE_ADAPTER_FORMAT:
        return _site_adapter(ckpt, path, cfg)
    if not isinstance(ckpt, dict) or ckpt.get("format") != "tracklet-reid/model":
        raise InputError(f"{path}: not a tracklet-reid model")
    try:
        mcfg = ModelConfig(**{**ckpt["model"], "pretrained": None})
        graph = ckpt.get("onnx_graph")
        emb = Embedder(mcfg, onnx_graph=bytes(graph.numpy().tobytes()) if graph is not None else None)
        emb.load_state_dict(ckpt["state"])
        input_hw = (int(ckpt["input_hw"][0]), int(ckpt["input_hw"][1]))
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        first = first_line(exc, 100)
        raise InputError(f"{path}: damaged tracklet-reid model ({type(exc).__name__}: {first})") from None
    lc = ckpt.get("learn_config") or {}
    split = lc.get("split")
    return ReidModel(emb, input_hw, f"learned ({path.parent.name})", dev, learner=str(lc.get("learner", "utal")),
                     trained_split=None if split is None else int(split))


SITE_ADAPTER_FORMAT = "tracklet-reid/site-adapter"


def _ir_scale(cfg: EmbedConfig | None) -> str:
    """An OpenVINO graph's input scale: the Open Model Zoo's 0-255 unless --pixel-scale names another
    (its default, imagenet, is the ONNX exports' convention)."""
    return cfg.pixel_scale if cfg and cfg.pixel_scale != "imagenet" else "255"


def save_site_adapter(out_dir: Path, base: Path, projection: torch.Tensor, extra: dict) -> Path:
    """A frozen OpenVINO model and its site projection in one file (the graph's bytes inside: the
    folder stays usable where the download is not)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILE
    blobs = {k: torch.frombuffer(bytearray(p.read_bytes()), dtype=torch.uint8)
             for k, p in (("xml", base), ("bin", base.with_suffix(".bin")))}
    save_torch_file({"format": SITE_ADAPTER_FORMAT, "version": 1, "base_name": base.name, "graph": blobs,
                     "projection": projection.detach().cpu().float(), **extra}, path)
    return path


def _site_adapter(ckpt: dict, path: Path, cfg: EmbedConfig | None) -> ReidModel:
    from reid.models.openvino_model import OpenVinoEmbedder

    try:
        graph = (bytes(ckpt["graph"]["xml"].numpy().tobytes()), bytes(ckpt["graph"]["bin"].numpy().tobytes()))
        projection = ckpt["projection"].float()
        base = str(ckpt["base_name"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: damaged site adapter ({type(exc).__name__}: {first_line(exc, 100)})") from None
    ir = OpenVinoEmbedder(path, _ir_scale(cfg), graph=graph)
    return ReidModel(ir, ir.graph_hw or (256, 128), f"{base} adapted ({path.parent.name})", torch.device("cpu"),
                     learner="adapter", projection=projection)


class ColourHistogram(nn.Module):
    """The plain baseline: a joint HSV colour histogram per image (no learning at all)."""

    def __init__(self, bins: tuple[int, int, int] = (8, 4, 4)):
        super().__init__()
        self.bins = bins

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import cv2

        imgs = (denormalize_batch(x).clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).cpu().numpy()
        out = []
        for im in imgs:
            hsv = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_RGB2HSV)
            h = cv2.calcHist([hsv], [0, 1, 2], None, list(self.bins), [0, 180, 0, 256, 0, 256]).ravel()
            out.append(np.sqrt(h / max(h.sum(), 1)))
        return torch.as_tensor(np.stack(out), dtype=torch.float32)


@dataclass
class TrackletFeatures:
    """A store's tracklets embedded by one model: rows of ``features`` follow ``index``.

    ``features`` are what the model gives, for comparisons within a camera (merge); ``across``
    is what comparisons across cameras use (match, retrieval): the same features standardised per
    camera when ``camera_norm`` is on. Within one camera that standardisation only reweights the
    dimensions, and on PETS09 it cost merge IDF1 (0.437 -> 0.401 with ImageNet features)."""

    store: TrackletStore
    index: TrackletIndex
    features: torch.Tensor  # (N, D) float32 on the CPU
    model: str  # the model's name, for reports
    input_hw: tuple[int, int]
    camera_norm: bool = False
    projection: torch.Tensor | None = None  # a site adapter's, after the standardisation
    # (N, 2, D) each tracklet's first and last third (`embed_tracklets`), for merge's same-person
    # distances; None where the caller did not ask
    thirds: torch.Tensor | None = None

    @property
    def across(self) -> torch.Tensor:
        if not self.camera_norm:
            return self.features
        from reid.models.camera_norm import across_cameras

        return across_cameras(self.features, self.index.camera_of, self.projection)


def embed_store(store: str | Path | TrackletStore, model: str | Path, cfg: EmbedConfig = EmbedConfig(),
                progress: bool = False, input_hw: tuple[int, int] = (256, 128),
                index: TrackletIndex | None = None, thirds: bool = False) -> TrackletFeatures:
    """Every tracklet of the store's complete cameras (or of ``index``), embedded by ``model``
    (see `load_model`); ``thirds``: each tracklet's first and last third too (merge's evidence)."""
    st = store if isinstance(store, TrackletStore) else TrackletStore(store)
    index = index or TrackletIndex.from_store(st)
    m = load_model(model, cfg.device, input_hw, cfg)
    out = m.tracklet_features(st, index, max_frames=cfg.frames, progress=progress, thirds=thirds)
    feats, ends = (out[:, 0].contiguous(), out[:, 1:].contiguous()) if thirds else (out, None)
    return TrackletFeatures(st, index, feats, m.name, m.input_hw, cfg.camera_norm_for(m.learner), m.projection,
                            ends)


def baseline_for(model: str | Path) -> str | None:
    """The untrained starting point of a learned model: its backbone with the weights it started
    from (a baseline spec for `load_model`); None for a spec that is not a learned model."""
    p = Path(model)
    p = p / MODEL_FILE if p.is_dir() else p
    if not p.is_file() or p.suffix.lower() in (".onnx", ".xml"):
        return None
    ckpt = load_torch_file(p, "model file")
    lc = ckpt.get("learn_config", {}) if isinstance(ckpt, dict) else {}
    pre = lc.get("pretrained") or "none"
    if str(pre).lower().endswith(".onnx"):  # adapted from a downloaded model: that model is the baseline
        return pre if Path(pre).is_file() else None
    return f"imagenet:{lc.get('backbone', 'resnet50')}:{pre}"
