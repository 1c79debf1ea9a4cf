"""Hostile input, as a table: every case is a command line built on the shared `World`, the exit
code it must give, and what its one line of error (or warning) must say. A new command adds its
rows here. Cases that must show warnings run in a subprocess: inside pytest, warnings are recorded
instead of printed."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest

from pipeline.cli import main
from tests.hostile.world import World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    return World(tmp_path_factory.mktemp("hostile"))


Argv = Callable[[World, Path], list]


@dataclass
class Case:
    name: str
    argv: Argv  # (world, a fresh folder for this case) -> the command line
    code: int
    says: str = ""  # in the error line (exit 1), or in stderr (exit 0); case-insensitive
    check: Callable[[World, Path], None] | None = None  # what must hold afterwards
    subprocess: bool = False


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copy(src, dst)
    return dst


def _edit_store(w: World, d: Path, edit: Callable[[h5py.File], None]) -> Path:
    p = _copy(w.store, d / "s.h5")
    with h5py.File(p, "a") as f:
        edit(f)
    return p


def _flip_count(f: h5py.File) -> None:
    t = f["cameras/cam1/tracklets"]
    row = t[2]
    row["count"] = 500
    t[2] = row


def _flip_offset(f: h5py.File) -> None:
    f["cameras/cam1/crop_offset"][3] = 10**9


def _zero_metadata(f: h5py.File) -> None:
    for k in list(f.attrs):
        del f.attrs[k]


def _unfinish_cam3(f: h5py.File) -> None:
    f["cameras/cam3"].attrs["complete"] = False


def _flip_byte(f: h5py.File) -> None:
    d = f["cameras/cam2/crops"]
    d[500] = d[500] ^ 0x10


def _damage_jpeg(f: h5py.File) -> None:
    o = f["cameras/cam1/crop_offset"][:]
    f["cameras/cam1/crops"][o[0]:o[1]] = 0


def _merge(store: Callable[[World, Path], Path], *extra: str, model: str | None = None) -> Argv:
    return lambda w, d: ["merge", store(w, d), "--model", model or "colour", "-o", d / "out", "--baseline", "none",
                         "-q", *extra]


def _match(store: Callable[[World, Path], Path], *extra: str) -> Argv:
    return lambda w, d: ["match", store(w, d), "--model", "colour", "-o", d / "out", "--baseline", "none", "-q",
                         *extra]


def _topology(store: Callable[[World, Path], Path], *extra: str) -> Argv:
    return lambda w, d: ["topology", store(w, d), "--model", "colour", "-o", d / "out", "-q", *extra]


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _topology_file(d: Path, **fields) -> Path:
    import json

    doc = {"format": "tracklet-reid topology", "version": 1, "cameras": [], "routes": [], "forbid": [], **fields}
    return _text(d / "topology.json", json.dumps(doc))


def _has_files(folder: Path, *names: str) -> None:
    missing = [n for n in names if not (folder / n).is_file()]
    assert not missing, f"{folder}: {missing} not written"


def _store(w: World, d: Path) -> Path:
    return w.store


def _quiet(w: World, d: Path) -> Path:
    return w.quiet_store


FAST = ["--backbone", "mobilenet_v2", "--pretrained", "none", "--embed-dim", "16", "--input-size", "64x32",
        "--batch-size", "24", "--workers", "0", "--epochs", "1", "-q"]


def _learn(*extra: str, out: Callable[[World, Path], Path] | None = None) -> Argv:
    return lambda w, d: ["learn", w.store, "-o", out(w, d) if out else d / "model", *FAST, *extra]


def _rows(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _all_tracklets_labelled(csv_name: str, n: int):
    def check(w: World, d: Path) -> None:
        assert len(_rows(d / "out" / csv_name)) == n

    return check


def _no_output(w: World, d: Path) -> None:
    assert not (d / "out").exists(), "a failed run left its (empty) output folder"


# ------------------------------------------------------------------------------ the mot/ set-ups
def _mot_inside_output(w: World, d: Path) -> list:
    import shutil

    shutil.copytree(w.extracted / "mot", d / "out" / "mot")
    return ["merge", w.extracted / "t.h5", "--model", "colour", "-o", d / "out", "--mot", d / "out" / "mot",
            "--baseline", "none", "-q"]


def _mot_unchanged(w: World, d: Path) -> None:
    for f in (w.extracted / "mot").glob("*.txt"):
        assert (d / "out" / "mot" / f.name).read_text() == f.read_text()


def _other_sequence_mot(w: World, d: Path) -> list:
    mot = d / "mot"
    mot.mkdir()
    for f in (w.extracted / "mot").glob("*.txt"):
        rows = np.loadtxt(f, delimiter=",", ndmin=2)
        rows[:, 2] += 300  # same ids and frames, boxes elsewhere: another sequence's tracks
        np.savetxt(mot / f.name, rows, delimiter=",", fmt="%.2f")
    return ["merge", w.extracted / "t.h5", "--model", "colour", "-o", d / "out", "--mot", mot, "--baseline", "none",
            "-q"]


# -------------------------------------------------------------------------------- learn set-ups
def _finished_model_folder(w: World, d: Path) -> Path:
    out = d / "model"
    out.mkdir()
    _copy(w.tiny_model / "model.pt", out / "model.pt")
    return out


def _config_in_output(w: World, d: Path) -> list:
    (d / "model").mkdir()
    (d / "model" / "learn.yaml").write_text("epochs: 1\n")
    return ["learn", w.store, "-o", d / "model", "--config", d / "model" / "learn.yaml", *FAST]


def _config_unchanged(w: World, d: Path) -> None:
    assert (d / "model" / "learn.yaml").read_text() == "epochs: 1\n"


def _bad_yaml(w: World, d: Path) -> list:
    (d / "c.yaml").write_text("epochs: ten\n")
    return ["learn", w.store, "-o", d / "model", "--config", d / "c.yaml"]


def _locked_folder(w: World, d: Path) -> list:
    import filelock

    (d / "model").mkdir()
    lock = filelock.FileLock(str(d / "model" / ".learn.lock"))
    lock.acquire()
    d.joinpath("lock").write_text("held")  # the lock object lives as long as the case's folder
    _HELD.append(lock)
    return ["learn", w.store, "-o", d / "model", *FAST]


_HELD: list = []


# ----------------------------------------------------------------------------- MOT text set-ups
def _huge_frame(w: World, d: Path) -> Path:
    (d / "det.txt").write_text("1,-1,10,10,20,40,0.9,-1,-1,-1\n2,-1,11,10,20,40,0.9,-1,-1,-1\n"
                               "2000000000,-1,10,10,20,40,0.9,-1,-1,-1\n")
    return d / "det.txt"


def _gt_file(w: World, d: Path) -> Path:
    w.videos  # noqa: B018 (builds the ground truth)
    return w.root / "gt" / "north.txt"


# ------------------------------------------------------------------------- inspect / extract set-ups
def _store_with_parts(w: World, d: Path) -> Path:
    p = _copy(w.store, d / "s.h5")
    (d / "s.h5.parts").mkdir()
    _copy(w.quiet_store, d / "s.h5.parts" / "cam9.h5")
    return p


def _extract_other_videos(w: World, d: Path) -> list:
    import shutil

    store = _copy(w.extracted / "t.h5", d / "t.h5")
    cams = d / "cams"
    cams.mkdir()
    shutil.copy(w.videos / "north.avi", cams / "north.avi")
    shutil.copy(w.videos / "south.avi", cams / "east.avi")  # one camera more, one camera less
    return ["extract", "--videos", cams, "--detector", "file", "--detections", w.root / "dets", "-o", store, "-q"]


def _extract(**flags: str) -> Argv:
    extra = [x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", v)]
    return lambda w, d: ["extract", "--videos", w.videos, "--detector", "file", "--detections", w.root / "dets",
                         "-o", d / "t.h5", "-q", *extra]


def _image_gaps(w: World, d: Path) -> list:
    cams = w.image_sequence(missing=(3, 4, 5))
    return ["extract", "--videos", cams, "--detector", "file", "--detections", cams.parent / "dets", "-o",
            d / "t.h5", "-q"]


def _frames_keep_their_numbers(w: World, d: Path) -> None:
    from tracking.store import TrackletStore

    frames = np.concatenate([TrackletStore(d / "t.h5").camera("cam").crop_frame])
    assert len(frames) and not np.isin(frames, [3, 4, 5]).any()  # the missing images' frames stay empty
    assert frames.max() == 29  # and the last image is still frame 30 (index 29), not 26


_LAST_ERR: list[str] = []


def _warnings_are_one_line(w: World, d: Path) -> None:
    lines = [line for line in _LAST_ERR[-1].splitlines() if line.strip()]
    assert lines and all(line.startswith("pipeline: warning: ") for line in lines), lines
    assert len(lines) == len(set(lines)), "a warning shown twice"


def _shared(*parts: str) -> Path:
    from tests.conftest import shared_path

    return shared_path(*parts)


def _truncated_darknet(w: World, d: Path) -> list:
    folder = _shared("weights", "yolo-fastest-1.1-body")
    weights = folder / "yolo-fastest-1.1_body.weights"
    (d / "cut.weights").write_bytes(weights.read_bytes()[:600_000])
    return ["extract", "--videos", w.videos, "--detector", "darknet", "--cfg", folder / "yolo-fastest-1.1_body.cfg",
            "--weights", d / "cut.weights", "-o", d / "t.h5", "-q"]


def _swapped_darknet(w: World, d: Path) -> list:
    folder = _shared("weights", "yolo-fastest-1.1-body")
    return ["extract", "--videos", w.videos, "--detector", "darknet", "--cfg", folder / "yolo-fastest-1.1_body.weights",
            "--weights", folder / "yolo-fastest-1.1_body.cfg", "-o", d / "t.h5", "-q"]


def _one_camera(f: h5py.File) -> None:
    for name in sorted(f["cameras"])[1:]:
        del f["cameras"][name]


def _short_result(w: World, d: Path) -> list:
    gt = _gt_file(w, d)
    rows = [r for r in gt.read_text().splitlines() if int(r.split(",")[0]) <= 5]
    (d / "r.txt").write_text("\n".join(rows) + "\n")
    return ["evaluate-mot", "--gt", gt, "--result", d / "r.txt"]


def _read_only(w: World, d: Path) -> list:
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder is writable to root (the disk-full cases cover the "
                    "write failures)")
    (d / "ro").mkdir()
    os.chmod(d / "ro", 0o555)
    return ["merge", w.store, "--model", "colour", "-o", d / "ro" / "out", "--baseline", "none", "-q"]


def _existing_file(w: World, d: Path) -> Path:
    (d / "result.txt").write_text("keep me\n")
    return d / "result.txt"


def _kept(w: World, d: Path) -> None:
    assert (d / "result.txt").read_text() == "keep me\n"


CASES = [
    # 2. outputs never overwrite inputs
    Case("merge -o DIR --mot DIR/mot", _mot_inside_output, 1, "would write", _mot_unchanged),
    Case("learn --config OUT/learn.yaml", _config_in_output, 1, "would write", _config_unchanged),
    Case("learn into a finished model folder", _learn(out=_finished_model_folder), 1, "holds a trained model"),
    Case("track -o an existing file", lambda w, d: ["track", _huge_frame(w, d), "-o", _existing_file(w, d)], 1,
         "exists already", _kept),
    # 3. no crash on quiet cameras, NaN models, out-of-range association settings
    Case("merge, cameras with 1-3 tracklets", _merge(_quiet), 0, check=_all_tracklets_labelled("trajectories.csv", 6)),
    Case("match, cameras with 1-3 tracklets", _match(_quiet), 0, check=_all_tracklets_labelled("global_ids.csv", 6)),
    Case("merge with a NaN model", lambda w, d: _merge(_store, model=str(w.nan_model))(w, d), 1, "non-finite",
         _no_output),
    Case("match --k 0", _match(_store, "--k", "0"), 1, "affinity_k 0", _no_output),
    Case("match --threshold 5", _match(_store, "--threshold", "5"), 1, "threshold 5.0"),
    Case("match --max-distance nan", _match(_store, "--max-distance", "nan"), 1, "finite distance"),
    # 4. no silent wrong results
    Case("image sequence with missing images", _image_gaps, 0, "3 frame(s) missing", _frames_keep_their_numbers,
         subprocess=True),
    Case("extract into a store of other videos", _extract_other_videos, 1, "not in these videos"),
    Case("inspect, a camera still in the parts folder", lambda w, d: ["inspect", _store_with_parts(w, d)], 1,
         "still being extracted"),
    Case("truncated Darknet weights", _truncated_darknet, 1, "truncated darknet weights"),
    Case("extract --reid-model with a tracker that uses no appearance", _extract(tracker="sort", reid_model="colour"),
         1, "uses no appearance"),
    Case("extract --reid-model that is no model", lambda w, d: _extract(reid_model=str(d / "missing"))(w, d), 1,
         "no model here"),
    Case("learn --lr inf", _learn("--lr", "inf"), 1, "lr = inf"),
    Case("learn --lr 1e30 (diverges)", _learn("--lr", "1e30"), 1, "diverged"),
    Case("evaluate-mot --iou 0", lambda w, d: ["evaluate-mot", "--gt", _gt_file(w, d), "--result", _gt_file(w, d),
                                              "--iou", "0"], 1, "iou threshold 0.0"),
    Case("merge --mot of another sequence", _other_sequence_mot, 1, "not the tracker output"),
    Case("topology, cameras with 1-3 tracklets", _topology(_quiet), 0,
         check=lambda w, d: _has_files(d / "out", "topology.json", "topology.html")),
    Case("topology on a benchmark store (no times)", lambda w, d: ["topology", w.benchmark, "--model", "colour",
                                                                   "-o", d / "out", "-q"], 1, "no times", _no_output),
    Case("match --topology: no such file", _match(_store, "--topology", "nothere.json"), 1, "no such file"),
    Case("match --topology: not JSON", lambda w, d: _match(_store, "--topology", _text(d / "t.json", "{oops"))(w, d),
         1, "not a topology file"),
    Case("match --topology naming an unknown camera", lambda w, d: _match(
        _store, "--topology", _topology_file(d, cameras=[{"name": "nocam"}]))(w, d), 1, "names camera 'nocam'"),
    Case("topology --topology with a route of no kind", lambda w, d: _topology(_store, "--topology", _topology_file(
        d, routes=[{"from": "cam1", "to": "cam2", "kind": "teleport", "lag_s": 5, "spread_s": 1}]))(w, d), 1,
         "routes[0].kind 'teleport'"),
    Case("match --topology with a NaN offset", lambda w, d: _match(
        _store, "--topology", _topology_file(d, cameras=[{"name": "cam1", "offset_s": float("nan")}]))(w, d), 1,
         "cameras[0].offset_s"),
    Case("match --overlapping-pairs naming no camera", _match(_store, "--overlapping-pairs", "cam1:nocam"), 1,
         "no camera 'nocam'"),
    Case("evaluate-mot, a result folder without result files", lambda w, d: ["evaluate-mot", "--gt", d, "--result", d],
         1, "no <camera>.txt result file"),
    Case("evaluate-mot, a result file against a gt folder",
         lambda w, d: ["evaluate-mot", "--gt", d, "--result", _gt_file(w, d)], 1, "two files or two folders"),
    Case("evaluate, every query skipped", lambda w, d: ["evaluate", "--model", "colour", "--data", w.benchmark], 1,
         "nothing was evaluated"),
    # 5. no hang
    Case("track, a huge frame number", lambda w, d: ["track", _huge_frame(w, d), "-o", d / "r.txt"], 0),
    Case("evaluate-mot, a huge frame number", lambda w, d: ["evaluate-mot", "--gt", _huge_frame(w, d), "--result",
                                                           _huge_frame(w, d)], 0),
    # 7. one line for every ordinary error
    Case("-o in a read-only folder", _read_only, 1, "not writable"),
    Case("-o under a file", lambda w, d: _merge(_store)(w, d)[:5] + [w.store / "out"], 1, "which is a file"),
    Case("-o onto an existing file", lambda w, d: _merge(_store)(w, d)[:5] + [w.store], 1, "is a file"),
    Case("track -o an existing folder", lambda w, d: ["track", _huge_frame(w, d), "-o", d], 1, "is a folder"),
    Case("--device tpu:7", _learn("--device", "tpu:7"), 1, "not a device torch knows"),
    Case("YAML value of the wrong type", _bad_yaml, 1, "epochs must be int"),
    Case("--crop-size 100000x100000", _extract(crop_size="100000x100000"), 1, "each side must be"),
    Case("a flipped tracklet count", _merge(lambda w, d: _edit_store(w, d, _flip_count)), 1, "claims crops"),
    Case("a flipped crop offset", _merge(lambda w, d: _edit_store(w, d, _flip_offset)), 1, "crop offsets"),
    Case("zeroed store metadata", lambda w, d: ["inspect", _edit_store(w, d, _zero_metadata)], 1,
         "schema attributes are missing"),
    Case("two learn runs into one folder", _locked_folder, 1, "another `pipeline learn`"),
    # 8. smaller
    Case("a damaged JPEG crop", _merge(lambda w, d: _edit_store(w, d, _damage_jpeg)), 1, "camera 'cam1', crop 0"),
    Case("inspect --verify, a flipped byte", lambda w, d: ["inspect", _edit_store(w, d, _flip_byte), "--verify"], 1,
         "do not match their checksums"),
    Case("inspect --verify, intact", lambda w, d: ["inspect", w.store, "--verify"], 0),
    Case("--fps -1", _extract(fps="-1"), 1, "positive number"),
    Case("merge says which incomplete cameras it skips", _merge(lambda w, d: _edit_store(w, d, _unfinish_cam3)), 0,
         "skipping incomplete camera(s) cam3", subprocess=True),
    Case("learn --frames -5", _learn("--frames", "-5"), 1, "frames_per_tracklet"),
    Case("--split on a store without splits", lambda w, d: ["evaluate", "--model", "colour", "--data", w.benchmark,
                                                            "--split", "0"], 1, "has no splits"),
    Case("--input-size against a fixed-size ONNX graph", lambda w, d: [
        "evaluate", "--model", _shared("weights", "osnet-x0_25-msmt17", "osnet_x0_25_msmt17.onnx"), "--data",
        w.benchmark, "--input-size", "128x64"], 1, "takes 256x128 input only"),
    Case("merge --gt without --mot", _merge(_store, "--gt", "gt"), 1, "needs --mot"),
    # before any work, naming the argument (issue 27, finding 6)
    Case("merge --gt a file", lambda w, d: _merge(_store, "--mot", str(d), "--gt", str(_gt_file(w, d)))(w, d), 1,
         "is a file; give the folder"),
    Case("merge --mot without the store's cameras", lambda w, d: _merge(_store, "--mot", str(d))(w, d), 1,
         "extract --mot-out writes one per camera"),
    Case("match on a one-camera store", _match(lambda w, d: _edit_store(w, d, _one_camera)), 1,
         "needs at least two cameras", _no_output),
    Case("match with the store as --model", lambda w, d: ["match", d, "--model", w.store, "-o", d / "out", "-q"], 1,
         "a tracklet store (hdf5), not a model"),
    Case("extract with --cfg and --weights swapped", _swapped_darknet, 1, "--cfg and --weights swapped?"),
    Case("evaluate-mot, a result shorter than the ground truth", _short_result, 0,
         "lie outside the result's frames"),
    Case("warnings from worker processes", lambda w, d: ["extract", "--videos", w.damaged_videos, "--detector",
                                                         "file", "--detections", w.root / "dets", "-o", d / "t.h5",
                                                         "--workers", "2", "-q"], 0, "south.avi: video ends early",
         _warnings_are_one_line, subprocess=True),
    Case("progress note per camera without a terminal", lambda w, d: _extract()(w, d)[:-1], 0,
         "camera north done (1/2)", subprocess=True),
]


def _run(case: Case, argv: list, capsys) -> tuple[int, str]:
    argv = [str(a) for a in argv]
    if case.subprocess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-m", "pipeline", *argv], capture_output=True, text=True, env=env,
                           timeout=300)
        return r.returncode, r.stderr
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, world: World, capsys):
    d = world.fresh(case.name.replace(" ", "_").replace("/", "_"))
    argv = case.argv(world, d)
    t0 = time.perf_counter()
    code, err = _run(case, argv, capsys)
    _LAST_ERR.append(err)
    assert time.perf_counter() - t0 < 120, "took minutes: a hang?"
    assert "Traceback" not in err, err
    assert code == case.code, err
    if code:
        lines = [line for line in err.splitlines() if line.strip() and "warning" not in line]
        assert len(lines) == 1, err
        assert case.says.lower() in lines[0].lower(), lines[0]
    elif case.says:
        assert case.says.lower() in err.lower(), err
    if case.check:
        case.check(world, d)
