"""A full disk (simulated: the free space the writers check, or an ENOSPC from below) and the CLI's
catch-all: one line each, no temporary file left, finished work kept."""
from __future__ import annotations

import errno
import shutil
from collections import namedtuple

import pytest

from pipeline.cli import main
from tests.hostile.test_hostile_input import FAST, world  # noqa: F401 (the session's World fixture)
from tests.hostile.world import World

Usage = namedtuple("Usage", "total used free")


def _disk_with(monkeypatch, free_bytes: int) -> None:
    real = shutil.disk_usage

    def fake(path):
        u = real(path)
        return Usage(u.total, u.used, free_bytes)

    monkeypatch.setattr("tracklet_reid.output_paths.shutil.disk_usage", fake)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_extract_on_a_full_disk(world: World, monkeypatch, capsys):  # noqa: F811
    d = world.fresh("full-extract")
    world.videos  # noqa: B018 (built before the disk fills)
    _disk_with(monkeypatch, 1 << 20)
    code = main(["extract", "--videos", str(world.videos), "--detector", "file", "--detections",
                 str(world.root / "dets"), "-o", str(d / "t.h5"), "--mot-out", str(d / "mot"), "-q"])
    line = _one_line(capsys.readouterr().err)
    assert code == 1 and "the disk is full" in line and "1.0 MB free" in line
    assert sorted(p.name for p in d.iterdir()) == [], "left a part file, an empty .parts or mot folder"


def test_extract_keeps_finished_cameras_and_resumes(world: World, monkeypatch, capsys):  # noqa: F811
    """The disk fills while the second camera is written: the first stays complete in the store;
    with space back, the rerun does only the second."""
    import tracking.multi_camera as mc

    d = world.fresh("full-extract-resume")
    real_run_one = mc.run_camera_job
    calls = []

    def second_camera_fills_the_disk(job, *args, **kwargs):
        calls.append(job.source.name)
        if len(calls) == 2:
            _disk_with(monkeypatch, 1 << 20)
        return real_run_one(job, *args, **kwargs)

    monkeypatch.setattr(mc, "run_camera_job", second_camera_fills_the_disk)
    argv = ["extract", "--videos", str(world.videos), "--detector", "file", "--detections", str(world.root / "dets"),
            "-o", str(d / "t.h5"), "-q"]
    assert main(argv) == 1
    assert "the disk is full" in _one_line(capsys.readouterr().err)
    from tracking.store import TrackletStore

    assert TrackletStore(d / "t.h5").cameras == ["north"]
    assert not (d / "t.h5.parts").exists()
    monkeypatch.undo()
    assert main(argv) == 0
    assert TrackletStore(d / "t.h5").cameras == ["north", "south"]


def test_learn_on_a_full_disk_leaves_no_temporary_file(world: World, monkeypatch, capsys):  # noqa: F811
    d = world.fresh("full-learn")
    store = world.store  # built before the disk fills
    _disk_with(monkeypatch, 1 << 20)
    code = main(["learn", str(store), "-o", str(d / "model"), *FAST])
    line = _one_line(capsys.readouterr().err)
    assert code == 1 and "the disk is full" in line
    leftovers = [p.name for p in (d / "model").rglob("*") if p.is_file() and p.name != "metrics.jsonl"]
    assert leftovers == [], leftovers


def test_enospc_from_a_library_is_one_line(world: World, monkeypatch, capsys):  # noqa: F811
    from pipeline import cli

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/x.h5")

    args = cli.build_parser().parse_args(["inspect", str(world.store)])
    args.func = full
    monkeypatch.setattr(cli, "build_parser", lambda: _Fixed(args))
    assert cli.main(["inspect", "x"]) == 1
    assert "/data/x.h5: the disk is full" in _one_line(capsys.readouterr().err)


class _Fixed:
    def __init__(self, args):
        self.args = args

    def parse_args(self, argv):
        return self.args


def test_unexpected_error_is_one_line_with_debug_hint(world: World, monkeypatch, capsys):  # noqa: F811
    from pipeline import cli

    def boom(args):
        raise RuntimeError("something nobody foresaw\nsecond line")

    args = cli.build_parser().parse_args(["inspect", str(world.store)])
    args.func = boom
    monkeypatch.setattr(cli, "build_parser", lambda: _Fixed(args))
    assert cli.main(["inspect", "x"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "unexpected error: RuntimeError: something nobody foresaw" in line and "--debug" in line
    args.debug = True
    with pytest.raises(RuntimeError):
        cli.main(["inspect", "x"])
