"""What every benchmark importer builds: items (one tracklet each) grouped into a Benchmark,
and the small folder helpers they share."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tracking.store import TrackletSet
from tracklet_reid.errors import InputError

TRAIN, QUERY, GALLERY, TEST = TrackletSet.TRAIN, TrackletSet.QUERY, TrackletSet.GALLERY, TrackletSet.TEST

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp"}


@dataclass
class Item:
    paths: list[Path]
    pid: int
    cam: int
    tracklet_set: TrackletSet
    frames: list[int] = field(default_factory=list)


@dataclass
class Benchmark:
    name: str
    items: list[Item]
    junk_ids: tuple[int, ...] = ()
    splits: list[dict] | None = None
    camera_names: dict[int, str] | None = None  # camera number -> name (export-dataset's cameras.txt)


def read_camera_names(root: Path) -> dict[int, str] | None:
    """``root/cameras.txt`` as `pipeline export-dataset` writes it (``<number> <name>`` per line), so
    that export then import keeps the cameras' names; None without the file."""
    path = root / "cameras.txt"
    if not path.is_file():
        return None
    names: dict[int, str] = {}
    for k, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit() or parts[1].startswith("."):
            raise InputError(f"{path}, line {k}: {line!r} is not '<camera number> <camera name>'")
        names[int(parts[0])] = parts[1]
    if len(set(names.values())) != len(names):
        raise InputError(f"{path}: one camera name for two numbers")
    return names


def _need(root: Path, *names: str) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    paths = [root / n for n in names]
    missing = [n for n, p in zip(names, paths) if not p.exists()]
    if missing:
        raise InputError(f"{root}: not this benchmark's layout: missing {', '.join(missing)}")
    return paths


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)


def _group_train(images: list[tuple[Path, int, int, int]]) -> list[Item]:
    """(path, pid, cam, frame) images -> one training tracklet per (identity, camera)."""
    groups: dict[tuple[int, int], list[tuple[int, Path]]] = defaultdict(list)
    for path, pid, cam, frame in images:
        groups[(pid, cam)].append((frame, path))
    out = []
    for (pid, cam), members in sorted(groups.items()):
        members.sort()
        out.append(Item([p for _, p in members], pid, cam, TRAIN, [f for f, _ in members]))
    return out


def _singles(images: list[tuple[Path, int, int, int]], tracklet_set: TrackletSet) -> list[Item]:
    return [Item([p], pid, cam, tracklet_set, [frame]) for p, pid, cam, frame in images]


def _random_splits(pids: list[int], n: int = 10, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        perm = rng.permutation(sorted(pids))
        half = len(perm) // 2
        out.append({"train": sorted(int(p) for p in perm[:half]), "test": sorted(int(p) for p in perm[half:])})
    return out


def one_per_camera(bench: Benchmark) -> Benchmark:
    """The paper's Table 7 setting: each person keeps one training tracklet per camera (the
    longest; the first of equals), as if the tracker never fragmented anyone. Formed from the
    benchmark's identity labels, like the image sets' per-camera grouping: a data setting, never
    read by learning. Query, gallery and test tracklets stay as they are."""
    best: dict[tuple[int, int], int] = {}
    for i, it in enumerate(bench.items):
        if it.tracklet_set != TRAIN:
            continue
        key = (it.pid, it.cam)
        if key not in best or len(it.paths) > len(bench.items[best[key]].paths):
            best[key] = i
    keep = set(best.values())
    items = [it for i, it in enumerate(bench.items) if it.tracklet_set != TRAIN or i in keep]
    return Benchmark(bench.name, items, bench.junk_ids, bench.splits, bench.camera_names)
