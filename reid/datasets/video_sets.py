"""Video benchmarks with a train/query/gallery partition (MARS, DukeMTMC-VideoReID,
DukeMTMC-SI-Tracklet): tracklets are kept as the benchmark gives them."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np

from reid.datasets.common import GALLERY, QUERY, TRAIN, Benchmark, Item, _images, _need
from tracking.store import TrackletSet
from tracklet_reid.errors import InputError

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

    def tracks(names_p: Path, info: np.ndarray, folder: Path, set_of: Callable[[int], TrackletSet]) -> list[Item]:
        names = [l.strip() for l in names_p.read_text().splitlines() if l.strip()]
        out = []
        for k, (s, e, pid, cam) in enumerate(info.astype(int)):
            sel = names[s - 1:e]
            if not sel:
                raise InputError(f"{names_p}: track {k + 1} points outside the name list")
            pdir = sel[0][:4]
            frames = [int(n[12:15]) if MARS_RE.match(n) else i for i, n in enumerate(sel)]
            out.append(Item([folder / pdir / n for n in sel], int(pid), int(cam), set_of(k), frames))
        return out

    queries = set((mat(q_idx, "query_IDX").ravel().astype(int) - 1).tolist())
    train = tracks(n_train, mat(t_train, "track_train_info"), train_d, lambda k: TRAIN)
    test = tracks(n_test, mat(t_test, "track_test_info"), test_d, lambda k: QUERY if k in queries else GALLERY)
    return Benchmark("mars", train + test, junk_ids=(-1,))


def _video_tree(root: Path, name: str, subsets: dict[str, TrackletSet]) -> Benchmark:
    """`<subset>/<pid>/<tracklet>/<pid>_C<cam>_F<frame>_X<n>.jpg` (DukeMTMC-VideoReID layout)."""
    folders = _need(root, *subsets)
    items = []
    for folder, tracklet_set in zip(folders, subsets.values()):
        for pdir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for tdir in sorted(p for p in pdir.iterdir() if p.is_dir()):
                imgs = _images(tdir)
                if not imgs:
                    continue
                m = re.match(r"^(\d+)_C(\d+)", imgs[0].name)
                if not m:
                    raise InputError(f"{imgs[0]}: file name does not follow {name}'s naming")
                frames = [int(f.group(1)) if (f := re.search(r"_F(\d+)", p.name)) else i for i, p in enumerate(imgs)]
                items.append(Item(imgs, int(pdir.name), int(m.group(2)), tracklet_set, frames))
    return Benchmark(name, items)


def dukemtmc_videoreid(root: Path) -> Benchmark:
    return _video_tree(root, "dukemtmc-videoreid", {"train": TRAIN, "query": QUERY, "gallery": GALLERY})


def dukemtmc_si_tracklet(root: Path) -> Benchmark:
    """DukeMTMC-SI-Tracklet, read with the DukeMTMC-VideoReID folder layout (train/query/gallery,
    `<pid>/<tracklet>/` folders, `<pid>_C<cam>_...` names)."""
    return _video_tree(root, "dukemtmc-si-tracklet", {"train": TRAIN, "query": QUERY, "gallery": GALLERY})
