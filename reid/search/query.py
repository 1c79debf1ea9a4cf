"""Find a person in every camera: a query (an image of a person, or a tracklet of the store)
against every tracklet of a store, ranked by distance.

The store's tracklets are embedded once per (store, model) and kept beside the store in an index
file (`<store>.search-<key>.npz`, plain arrays, read with allow_pickle=False), tied to both by
checksum: the store's content key and the model file's hash. A changed store or model gives
another key, so a stale index is never read; it is rebuilt. With the index in place a query is
one matrix-vector product (exact: at 20,000 tracklets it takes milliseconds, so no approximate
search is needed here; issue 16's scale is another matter).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reid.models.embedding_config import EmbedConfig
from reid.search.same_person import SameModel, fit_same_model
from tracking.store import TrackletStore
from tracklet_reid.errors import InputError

RERANK = 50  # nearest tracklets a search orders by probability
INDEX_VERSION = 2  # 2: the same-person model (reid/search/same_person.py) kept in the index


@dataclass
class SearchIndex:
    features: np.ndarray  # (N, D) float32, the model's raw tracklet features
    across: np.ndarray  # (N, D) the features tracklet queries rank by (standardised per camera where the model's
    # default says so, as match does)
    cameras: list[str]
    camera_of: np.ndarray
    local_of: np.ndarray
    first_frame: np.ndarray
    last_frame: np.ndarray
    gt: np.ndarray  # ground-truth identity or -1 (evaluation only)
    model_name: str
    input_hw: tuple[int, int]
    path: Path | None = None
    built: bool = False  # whether this call embedded the store (False: read from the index file)
    same: SameModel | None = None  # P(same person) of a hit, fitted when the index was built

    @property
    def num_tracklets(self) -> int:
        return int(len(self.camera_of))


@dataclass
class Hit:
    rank: int
    row: int  # the tracklet's row in the index
    camera: str
    tracklet: int
    first_frame: int
    last_frame: int
    distance: float
    probability: float | None = None  # that the hit is the query's person (None: nothing to calibrate with)


def model_key(model: str | Path) -> str:
    """The hash of the model's files (a learn folder's model.pt, an ONNX file, a baseline's weights
    file or folder), or of the spec for a built-in baseline (colour, torchvision's ImageNet weights)."""
    s = str(model)
    path = Path(s.split(":", 2)[2]) if s.startswith("imagenet:") and s.count(":") >= 2 else Path(s)
    if path.is_dir() and (path / "model.pt").is_file():
        path = path / "model.pt"
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
    h = hashlib.sha256(s.split(":", 2)[1].encode() if s.startswith("imagenet:") else b"")
    if not files:
        h.update(s.encode())
    for f in files:
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _index_name(store_path: Path, key: str) -> Path:
    return store_path.with_name(f"{store_path.name}.search-{key}.npz")


def index_path(store: TrackletStore, model: str | Path, cfg: EmbedConfig = EmbedConfig()) -> Path:
    """The index file of ``store`` embedded by ``model`` with ``cfg``: every setting that changes
    the features is in its name (where it runs is not), so other flags never reuse it."""
    embedding = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "device"}
    key = hashlib.sha256(f"{store.content_key()}:{model_key(model)}:{sorted(embedding.items())}:{INDEX_VERSION}"
                         .encode()).hexdigest()[:16]
    return _index_name(Path(store.path), key)


def index_files(store_path: Path) -> list[Path]:
    """Every search index kept beside the store, for any model."""
    pattern = _index_name(store_path, "*")
    return sorted(pattern.parent.glob(pattern.name))


def read_index(path: Path) -> SearchIndex:
    """An index file as `save_index` wrote it (plain arrays: nothing in it can run)."""
    with np.load(path, allow_pickle=False) as z:
        return SearchIndex(z["features"], z["across"], [str(c) for c in z["cameras"]], z["camera_of"],
                           z["local_of"], z["first_frame"], z["last_frame"], z["gt"], str(z["model_name"]),
                           (int(z["input_hw"][0]), int(z["input_hw"][1])), path, same=SameModel.from_arrays(z))


def save_index(index: SearchIndex, path: Path) -> None:
    """Write ``index`` to ``path`` atomically: a killed write leaves no half file."""
    tmp = path.with_name(path.name + ".partial.npz")
    arrays: dict[str, np.ndarray] = {
        "features": index.features, "across": index.across, "cameras": np.array(index.cameras),
        "camera_of": index.camera_of, "local_of": index.local_of, "first_frame": index.first_frame,
        "last_frame": index.last_frame, "gt": index.gt, "model_name": np.array(index.model_name),
        "input_hw": np.array(index.input_hw), **(index.same.arrays() if index.same is not None else {})}
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def load_or_build_index(store: TrackletStore, model: str | Path, cfg: EmbedConfig = EmbedConfig(),
                        progress: bool = False) -> SearchIndex:
    """The store's search index for ``model``: read when its file is there, else built and saved."""
    path = index_path(store, model, cfg)
    if path.is_file():
        try:
            return read_index(path)
        except (OSError, KeyError, ValueError) as exc:
            # ours and derived: a damaged index is rebuilt, never trusted
            import warnings

            warnings.warn(f"{path}: unreadable search index ({type(exc).__name__}); rebuilding it")
    from reid.models.embedding import embed_store

    tf = embed_store(store, model, cfg, progress=progress)
    idx = tf.index
    index = SearchIndex(tf.features.numpy().astype(np.float32), tf.across.numpy().astype(np.float32),
                        list(idx.cameras), idx.camera_of, idx.local_of, idx.first_frame, idx.last_frame, idx.gt,
                        tf.model + (" + camera norm" if tf.camera_norm else ""), tf.input_hw, path, built=True)
    index.same = fit_same_model(index.features, index.across, idx)
    save_index(index, path)
    return index


def tracklet_row(index: SearchIndex, camera: str, tracklet: int) -> int:
    if camera not in index.cameras:
        raise InputError(f"--tracklet {camera}:{tracklet}: no camera {camera!r} (has: {', '.join(index.cameras)})")
    c = index.cameras.index(camera)
    rows = np.flatnonzero((index.camera_of == c) & (index.local_of == tracklet))
    if not len(rows):
        top = int(index.local_of[index.camera_of == c].max(initial=-1))
        if 0 <= tracklet < top:  # numbers stay after a forget: a gap is a tombstone
            raise InputError(f"--tracklet {camera}:{tracklet}: removed from the store by `pipeline forget` (its "
                             "<store>.forget.log says when)")
        raise InputError(f"--tracklet {camera}:{tracklet}: camera {camera} has tracklets 0..{top}")
    return int(rows[0])


def distances(features: np.ndarray, query: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distances of every row of ``features`` to ``query`` (D,)."""
    d2 = (features * features).sum(1) - 2.0 * (features @ query) + float(query @ query)
    return np.sqrt(np.maximum(d2, 0.0))


def with_probability(index: SearchIndex, store: TrackletStore, query_row: int | None, found: list[Hit]) -> list[Hit]:
    """The hits with P(same person as the query) filled in where the index could calibrate it."""
    from reid.search.same_person import same_probability
    from reid.tracklet_index import TrackletIndex

    if not found or index.same is None:
        return found
    tindex = TrackletIndex.from_store(store) if query_row is not None and index.same.topology_json else None
    if tindex is not None and tindex.num_tracklets != index.num_tracklets:
        tindex = None  # not the index's tracklets: appearance alone
    p = same_probability(index.same, tindex, query_row, np.array([h.row for h in found]),
                         np.array([h.distance for h in found]))
    if p is not None:
        for h, v in zip(found, p):
            h.probability = float(v)
    return found


def rank_probable(index: SearchIndex, store: TrackletStore, query: np.ndarray, top: int,  # noqa: PLR0913
                  exclude: int | None, features: np.ndarray) -> list[Hit]:
    """The ``top`` most probable appearances of the query's person: the ``RERANK`` nearest by
    distance, ordered by P(same) (appearance and time; ties by distance) where it is calibrated,
    else by distance."""
    found = with_probability(index, store, exclude, rank(index, query, max(top, RERANK), exclude, features))
    if found and found[0].probability is not None:
        found = sorted(found, key=lambda h: (-round(h.probability or 0.0, 6), h.distance))
    for k, h in enumerate(found[:top]):
        h.rank = k + 1
    return found[:top]


def hits(index: SearchIndex, rows: np.ndarray, d: np.ndarray) -> list[Hit]:
    """``rows`` (in rank order) as hits, with their distances from ``d``."""
    return [Hit(r + 1, int(g), index.cameras[index.camera_of[g]], int(index.local_of[g]), int(index.first_frame[g]),
                int(index.last_frame[g]), float(d[g])) for r, g in enumerate(rows)]


def rank(index: SearchIndex, query: np.ndarray, top: int, exclude: int | None = None,
         features: np.ndarray | None = None) -> list[Hit]:
    """The ``top`` nearest tracklets to ``query`` (D,) by Euclidean distance over ``features``
    (default: the raw features), ``exclude`` (a row) left out."""
    d = distances(index.features if features is None else features, query)
    if exclude is not None:
        d[exclude] = np.inf
    k = min(top, int(np.isfinite(d).sum()))
    best = np.argpartition(d, k - 1)[:k] if k > 0 else np.zeros(0, np.int64)
    return hits(index, best[np.argsort(d[best], kind="stable")], d)


def embed_image(model, image_path: str | Path, crop_hw: tuple[int, int]) -> np.ndarray:
    """A person image (one person, already cropped) as the store's crops are made: resized to the
    store's crop size and JPEG round-tripped, then to the model's input; (D,) raw features."""
    import cv2
    import torch

    from reid.models.pixels import normalize_batch
    from tracking.store import decode_jpeg, encode_crop

    img = cv2.imread(str(image_path))
    if img is None:
        raise InputError(f"--image {image_path}: not an image OpenCV can read")
    img = cv2.resize(img, (crop_hw[1], crop_hw[0]), interpolation=cv2.INTER_AREA)[:, :, ::-1]
    img = decode_jpeg(encode_crop(np.ascontiguousarray(img), "jpeg"), 1)
    h, w = model.input_hw
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(img))[None]
        return model.module(normalize_batch(x, model.device)).float().cpu().numpy()[0]


@dataclass
class Query:
    vector: np.ndarray  # (D,)
    features: np.ndarray  # the index's features to rank it against (raw for an image, as match for a tracklet)
    row: int | None  # the query's own row when it is a tracklet of the store
    text: str


# noqa reason: the index, the store (crop size), how to load the model, and one of two queries
def make_query(index: SearchIndex, store: TrackletStore, model: str | Path, cfg: EmbedConfig,  # noqa: PLR0913
               image: str | None, tracklet: str | None) -> Query:
    """A tracklet (``CAMERA:ID``: its indexed features, ranked against the features match uses) or
    an image of a person (embedded now, ranked against the raw features: it has no camera to
    standardise by)."""
    if tracklet:
        cam, _, tid = tracklet.rpartition(":")
        if not cam or not tid.lstrip("-").isdigit():
            raise InputError(f"--tracklet {tracklet!r}: write CAMERA:ID (e.g. cam1:12)")
        row = tracklet_row(index, cam, int(tid))
        return Query(index.across[row], index.across, row, f"tracklet {tracklet}")
    if not image:
        raise InputError("give --image or --tracklet")
    from reid.models.embedding import load_model

    m = load_model(model, cfg.device, index.input_hw, cfg)
    return Query(embed_image(m, image, (store.info.crop_height, store.info.crop_width)), index.features, None,
                 f"image {image}")
