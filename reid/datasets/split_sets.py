"""Two-camera video benchmarks evaluated over 10 random splits (PRID2011, iLIDS-VID): every
tracklet is TEST; the split chosen at training or evaluation says whose identities train."""
from __future__ import annotations

from pathlib import Path

from reid.datasets.common import TEST, Benchmark, Item, _images, _need, _random_splits
from tracklet_reid.errors import InputError


def _two_camera_sequences(cam_dirs: list[Path], prefix: str, min_frames: int, max_id: int | None) -> list[Item]:
    per_cam = []
    for c, d in enumerate(cam_dirs, start=1):
        seqs = {}
        for p in sorted(x for x in d.iterdir() if x.is_dir() and x.name.startswith(prefix)):
            pid = int(p.name[len(prefix):])
            imgs = _images(p)
            if imgs and (max_id is None or pid <= max_id):
                seqs[pid] = imgs
        per_cam.append(seqs)
    both = sorted(set(per_cam[0]) & set(per_cam[1]))
    keep = [p for p in both if all(len(s[p]) >= min_frames for s in per_cam)]
    items = []
    for c, seqs in enumerate(per_cam, start=1):
        for pid in keep:
            items.append(Item(seqs[pid], pid, c, TEST, list(range(len(seqs[pid])))))
    return items


def prid2011(root: Path, min_frames: int = 22) -> Benchmark:
    """prid_2011/multi_shot/cam_a|cam_b/person_NNNN/*.png: the 200 people seen by both cameras, those
    with more than 21 frames in each (178), split 10 times into halves (seeded, saved)."""
    base = root / "prid_2011" if (root / "prid_2011").is_dir() else root
    cam_a, cam_b = _need(base, "multi_shot/cam_a", "multi_shot/cam_b")
    items = _two_camera_sequences([cam_a, cam_b], "person_", min_frames, max_id=200)
    if not items:
        raise InputError(f"{base}: no person seen by both cameras with {min_frames}+ frames")
    return Benchmark("prid2011", items, splits=_random_splits(sorted({i.pid for i in items})))


def ilids_vid(root: Path) -> Benchmark:
    """i-LIDS-VID/sequences/cam1|cam2/personNNN/*.png: 300 people, split 10 times into halves."""
    base = root / "i-LIDS-VID" if (root / "i-LIDS-VID").is_dir() else root
    cam1, cam2 = _need(base, "sequences/cam1", "sequences/cam2")
    items = _two_camera_sequences([cam1, cam2], "person", 1, max_id=None)
    if not items:
        raise InputError(f"{base}: no person seen by both cameras")
    return Benchmark("ilids-vid", items, splits=_random_splits(sorted({i.pid for i in items})))
