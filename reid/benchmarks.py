"""Importers for the public re-id benchmarks used by the UTAL paper, each from its official
folder layout, into the tracklet store.

Training tracklets follow the paper: video sets keep their tracklets; for image sets all training
images of one identity in one camera form one tracklet (that uses the labels to build tracklets:
the benchmark protocol, not something training reads). Query and gallery keep the protocol's own
items (single images for image sets). Identities are stored only as evaluation ground truth.

Per camera the store gets a `tracklet_set` dataset (0 train, 1 query, 2 gallery, 3 test: the
query/gallery roles of PRID2011 and iLIDS-VID come from their splits) and the root attributes
`benchmark`, `junk_ids` and, for the split-based sets, `splits` (10 seeded random halves).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from detection.errors import InputError

TRAIN, QUERY, GALLERY, TEST = 0, 1, 2, 3
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp"}


@dataclass
class Item:
    paths: list[Path]
    pid: int
    cam: int
    role: int
    frames: list[int] = field(default_factory=list)


@dataclass
class Benchmark:
    name: str
    items: list[Item]
    junk_ids: tuple[int, ...] = ()
    splits: list[dict] | None = None


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


def _singles(images: list[tuple[Path, int, int, int]], role: int) -> list[Item]:
    return [Item([p], pid, cam, role, [frame]) for p, pid, cam, frame in images]


# --------------------------------------------------------------------------------- image sets
MARKET_RE = re.compile(r"^(-?\d+)_c(\d+)s(\d+)_(\d+)")
DUKE_RE = re.compile(r"^(-?\d+)_c(\d+)_f(\d+)")
CUHK_NP_RE = re.compile(r"^(-?\d+)_c(\d+)(?:_(\d+))?")


def _parse_folder(folder: Path, regex: re.Pattern, frame_group: int | None) -> list[tuple[Path, int, int, int]]:
    out = []
    for p in _images(folder):
        m = regex.match(p.name)
        if not m:
            raise InputError(f"{p}: file name does not follow the benchmark's naming")
        frame = int(m.group(frame_group)) if frame_group and m.group(frame_group) else len(out)
        out.append((p, int(m.group(1)), int(m.group(2)), frame))
    return out


def _market_like(root: Path, name: str, regex: re.Pattern, frame_group: int, junk=(-1,)) -> Benchmark:
    train_d, query_d, gallery_d = _need(root, "bounding_box_train", "query", "bounding_box_test")
    train = [t for t in _parse_folder(train_d, regex, frame_group) if t[1] not in junk]
    return Benchmark(name, _group_train(train) + _singles(_parse_folder(query_d, regex, frame_group), QUERY)
                     + _singles(_parse_folder(gallery_d, regex, frame_group), GALLERY), junk_ids=tuple(junk))


def market1501(root: Path) -> Benchmark:
    """`0002_c1s1_000451_03.jpg`: pid -1 is junk (removed from galleries), 0000 a distractor."""
    return _market_like(root, "market1501", MARKET_RE, 4)


def dukemtmc_reid(root: Path) -> Benchmark:
    """`0005_c2_f0046985.jpg`."""
    return _market_like(root, "dukemtmc-reid", DUKE_RE, 3, junk=())


def msmt17(root: Path) -> Benchmark:
    """MSMT17_V1: train/, test/ and list_{train,val,query,gallery}.txt of `pid/name.jpg label` lines;
    the camera is the third field of the name (`0000_000_01_0303morning_0015_0.jpg`)."""
    paths = _need(root, "train", "test", "list_train.txt", "list_val.txt", "list_query.txt", "list_gallery.txt")
    train_d, test_d, l_train, l_val, l_query, l_gallery = paths

    def read(lst: Path, folder: Path):
        out = []
        for line in lst.read_text().splitlines():
            if not line.strip():
                continue
            rel, label = line.split()
            parts = Path(rel).name.split("_")
            if len(parts) < 3:
                raise InputError(f"{lst}: unexpected image name {rel!r}")
            out.append((folder / rel, int(label), int(parts[2]), int(parts[1])))
        return out

    train = read(l_train, train_d) + read(l_val, train_d)
    return Benchmark("msmt17", _group_train(train) + _singles(read(l_query, test_d), QUERY)
                     + _singles(read(l_gallery, test_d), GALLERY))


def cuhk03(root: Path, kind: str = "labeled") -> Benchmark:
    """CUHK03, new protocol (767/700 identities), `kind` labeled or detected. Either the
    `cuhk03-np` layout (`<kind>/bounding_box_train`, `query`, `bounding_box_test`), or the original
    images extracted by name `campair_pid_view_img.png` in `images_<kind>/` with
    `cuhk03_new_protocol_config_<kind>.mat` (filelist, labels, camId, train/query/gallery_idx)."""
    if kind not in ("labeled", "detected"):
        raise InputError(f"cuhk03 kind must be labeled or detected, not {kind!r}")
    np_dir = root / kind
    if (np_dir / "bounding_box_train").is_dir():
        return _market_like(np_dir, f"cuhk03-{kind}", CUHK_NP_RE, 3, junk=())
    cfg_p, img_d = _need(root, f"cuhk03_new_protocol_config_{kind}.mat", f"images_{kind}")
    from scipy.io import loadmat

    try:
        m = loadmat(cfg_p)
    except Exception as exc:
        raise InputError(f"{cfg_p}: unreadable split file ({type(exc).__name__})") from None
    for key in ("filelist", "labels", "camId", "train_idx", "query_idx", "gallery_idx"):
        if key not in m:
            raise InputError(f"{cfg_p}: split file lacks {key!r}")
    names = [str(np.ravel(x)[0]) for x in np.ravel(m["filelist"])]
    pids, cams = np.ravel(m["labels"]).astype(int), np.ravel(m["camId"]).astype(int)

    def pick(key):
        idx = np.ravel(m[key]).astype(int) - 1
        return [(img_d / names[i], int(pids[i]), int(cams[i]), int(i)) for i in idx]

    for p, *_ in pick("query_idx")[:1]:
        if not p.exists():
            raise InputError(f"{img_d}: missing {p.name} (extract the images of cuhk-03.mat first)")
    return Benchmark(f"cuhk03-{kind}", _group_train(pick("train_idx")) + _singles(pick("query_idx"), QUERY)
                     + _singles(pick("gallery_idx"), GALLERY))


# --------------------------------------------------------------------------------- video sets
MARS_RE = re.compile(r"^(\d{4}|00-1)C(\d)T(\d{4})F(\d{3})")


def mars(root: Path) -> Benchmark:
    """MARS: bbox_train/, bbox_test/, info/{train,test}_name.txt, info/tracks_{train,test}_info.mat
    (rows: start, end (1-based into the name list), pid, camera), info/query_IDX.mat. Gallery is
    every test track but the queries; pid -1 (`00-1`) is junk, 0 a distractor."""
    from scipy.io import loadmat

    paths = _need(root, "bbox_train", "bbox_test", "info/train_name.txt", "info/test_name.txt",
                  "info/tracks_train_info.mat", "info/tracks_test_info.mat", "info/query_IDX.mat")
    train_d, test_d, n_train, n_test, t_train, t_test, q_idx = paths

    def mat(p: Path, key: str) -> np.ndarray:
        try:
            return np.asarray(loadmat(p)[key])
        except KeyError:
            raise InputError(f"{p}: lacks {key!r}") from None
        except Exception as exc:
            raise InputError(f"{p}: unreadable .mat file ({type(exc).__name__})") from None

    def tracks(names_p: Path, info: np.ndarray, folder: Path, role_of: Callable[[int], int]) -> list[Item]:
        names = [l.strip() for l in names_p.read_text().splitlines() if l.strip()]
        out = []
        for k, (s, e, pid, cam) in enumerate(info.astype(int)):
            sel = names[s - 1:e]
            if not sel:
                raise InputError(f"{names_p}: track {k + 1} points outside the name list")
            pdir = sel[0][:4]
            frames = [int(n[12:15]) if MARS_RE.match(n) else i for i, n in enumerate(sel)]
            out.append(Item([folder / pdir / n for n in sel], int(pid), int(cam), role_of(k), frames))
        return out

    queries = set((mat(q_idx, "query_IDX").ravel().astype(int) - 1).tolist())
    train = tracks(n_train, mat(t_train, "track_train_info"), train_d, lambda k: TRAIN)
    test = tracks(n_test, mat(t_test, "track_test_info"), test_d, lambda k: QUERY if k in queries else GALLERY)
    return Benchmark("mars", train + test, junk_ids=(-1,))


def _video_tree(root: Path, name: str, subsets: dict[str, int]) -> Benchmark:
    """`<subset>/<pid>/<tracklet>/<pid>_C<cam>_F<frame>_X<n>.jpg` (DukeMTMC-VideoReID layout)."""
    folders = _need(root, *subsets)
    items = []
    for folder, role in zip(folders, subsets.values()):
        for pdir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for tdir in sorted(p for p in pdir.iterdir() if p.is_dir()):
                imgs = _images(tdir)
                if not imgs:
                    continue
                m = re.match(r"^(\d+)_C(\d+)", imgs[0].name)
                if not m:
                    raise InputError(f"{imgs[0]}: file name does not follow {name}'s naming")
                frames = [int(f.group(1)) if (f := re.search(r"_F(\d+)", p.name)) else i for i, p in enumerate(imgs)]
                items.append(Item(imgs, int(pdir.name), int(m.group(2)), role, frames))
    return Benchmark(name, items)


def dukemtmc_videoreid(root: Path) -> Benchmark:
    return _video_tree(root, "dukemtmc-videoreid", {"train": TRAIN, "query": QUERY, "gallery": GALLERY})


def dukemtmc_si_tracklet(root: Path) -> Benchmark:
    """DukeMTMC-SI-Tracklet, read with the DukeMTMC-VideoReID folder layout (train/query/gallery,
    `<pid>/<tracklet>/` folders, `<pid>_C<cam>_...` names)."""
    return _video_tree(root, "dukemtmc-si-tracklet", {"train": TRAIN, "query": QUERY, "gallery": GALLERY})


def _random_splits(pids: list[int], n: int = 10, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        perm = rng.permutation(sorted(pids))
        half = len(perm) // 2
        out.append({"train": sorted(int(p) for p in perm[:half]), "test": sorted(int(p) for p in perm[half:])})
    return out


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


FORMATS: dict[str, Callable[[Path], Benchmark]] = {
    "market1501": market1501, "dukemtmc-reid": dukemtmc_reid, "msmt17": msmt17,
    "cuhk03-labeled": lambda r: cuhk03(r, "labeled"), "cuhk03-detected": lambda r: cuhk03(r, "detected"),
    "mars": mars, "ilids-vid": ilids_vid, "prid2011": prid2011, "dukemtmc-videoreid": dukemtmc_videoreid,
    "dukemtmc-si-tracklet": dukemtmc_si_tracklet,
}


def write_benchmark(bench: Benchmark, out: Path, crop_hw: tuple[int, int] = (256, 128),
                    progress: bool = True, max_frames: int = 0) -> dict:
    """Write every item into a new store, one camera per benchmark camera."""
    import cv2
    from tqdm import tqdm

    from tracking.store import StoreWriter, encode_crop

    if out.exists():
        raise InputError(f"{out}: exists already; choose a new file")
    by_cam: dict[int, list[Item]] = defaultdict(list)
    for it in bench.items:
        by_cam[it.cam].append(it)
    total = sum(len(it.paths) for it in bench.items)
    counts = {"tracklets": 0, "images": 0, "unreadable": 0}
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        tmp.unlink()
    with StoreWriter(tmp, crop_hw=crop_hw) as w, tqdm(total=total, unit="img", disable=None if progress else True,
                                                      desc=f"import {bench.name}") as bar:
        w.set_attrs(benchmark=bench.name, junk_ids=list(bench.junk_ids))
        if bench.splits is not None:
            w.set_attrs(splits=bench.splits)
        for cam in sorted(by_cam):
            cw = w.camera(f"c{cam}")
            roles = []
            for it in by_cam[cam]:
                bufs, frames = [], []
                for p, f in zip(it.paths, it.frames or range(len(it.paths))):
                    img = cv2.imread(str(p))
                    bar.update(1)
                    if img is None:
                        counts["unreadable"] += 1
                        continue
                    img = cv2.resize(img, (crop_hw[1], crop_hw[0]), interpolation=cv2.INTER_AREA)
                    bufs.append(encode_crop(img[:, :, ::-1], "jpeg"))
                    frames.append(int(f))
                if not bufs:
                    continue
                n = len(bufs)
                cw.add_tracklet(bufs, frames, np.zeros((n, 4)), np.ones(n), counts["tracklets"], gt_identity=it.pid,
                                encoded=True)
                roles.append(it.role)
                counts["tracklets"] += 1
                counts["images"] += n
            cw.add_tracklet_column("tracklet_set", np.asarray(roles, np.uint8))
            cw.finish()
    tmp.rename(out)  # a killed import never leaves a file that looks finished
    return counts
