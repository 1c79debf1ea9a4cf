"""Image benchmarks (Market-1501, DukeMTMC-reID, MSMT17, CUHK03 new protocol): training images
of one identity in one camera form one tracklet; query and gallery are single images."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reid.datasets.common import GALLERY, QUERY, Benchmark, _group_train, _images, _need, _singles
from tracklet_reid.errors import InputError

MARKET_RE = re.compile(r"^(-?\d+)_c(\d+)s(\d+)_(\d+)")
DUKE_RE = re.compile(r"^(-?\d+)_c(\d+)_f(\d+)")
CUHK_NP_RE = re.compile(r"^(-?\d+)_c(\d+)(?:_(\d+))?")


def _parse_folder(folder: Path, regex: re.Pattern, frame_group: int | None) -> list[tuple[Path, int, int, int]]:
    out: list[tuple[Path, int, int, int]] = []
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
