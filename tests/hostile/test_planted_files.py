"""Item 1 of the hostile-input issue: a planted pickle never runs, through any command that reads a
torch file. Each case asserts a one-line refusal and that the payload's marker file was not made."""
from __future__ import annotations

import pickle

import pytest
import torch

from pipeline.cli import main
from reid.models.torch_files import load_torch_file
from tests.hostile.test_hostile_input import FAST, world  # noqa: F401 (the session's World fixture)
from tests.hostile.world import Payload, World
from tracklet_reid.errors import InputError


def _argv(kind: str, w: World, planted, out) -> list:
    model = planted / "model.pt"
    if kind == "merge":
        return ["merge", w.store, "--model", planted, "-o", out, "--baseline", "none", "-q"]
    if kind == "match":
        return ["match", w.store, "--model", model, "-o", out, "--baseline", "none", "-q"]
    if kind == "evaluate":
        return ["evaluate", "--model", planted, "--data", w.benchmark]
    if kind == "merge --baseline auto":  # the baseline is read from the model file too
        return ["merge", w.store, "--model", planted, "-o", out, "-q"]
    if kind == "baseline FILE":
        return ["merge", w.store, "--model", "colour", "--baseline", f"imagenet:mobilenet_v2:{model}", "-o", out,
                "-q"]
    if kind == "learn --pretrained":
        return ["learn", w.store, "-o", out, *FAST[:1], "mobilenet_v2", "--pretrained", model, *FAST[4:]]
    if kind == "extract --reid-model":  # the tracker's appearance model is read before any video
        return ["extract", "--videos", w.videos, "--detector", "file", "--detections", w.root / "dets", "-o",
                out.parent / "t.h5", "--reid-model", planted, "-q"]
    raise AssertionError(kind)


KINDS = ["merge", "match", "evaluate", "merge --baseline auto", "baseline FILE", "learn --pretrained",
         "extract --reid-model"]


@pytest.mark.parametrize("fmt", ["pickle", "zip"])
@pytest.mark.parametrize("kind", KINDS)
def test_planted_model_file_never_runs(kind, fmt, world: World, capsys):  # noqa: F811
    planted = world.planted(fmt)
    out = world.fresh(f"planted-{kind}-{fmt}".replace(" ", "_")) / "out"
    code = main([str(a) for a in _argv(kind, world, planted, out)])
    err = capsys.readouterr().err
    assert not world.marker.exists(), "the planted pickle's payload ran"
    if kind == "baseline FILE":  # the baseline is an extra: skipped with its one line, the merge goes on
        assert code == 0 and "baseline skipped" in err and "refused" in err, err
    elif kind == "merge --baseline auto":  # reading the baseline spec refuses before anything else
        assert code == 1 and "refused" in err, err
    else:
        assert code == 1 and "refused" in err and "Traceback" not in err, err


def test_planted_checkpoint_never_runs_on_resume(world: World, capsys):  # noqa: F811
    planted = world.planted("checkpoint")
    code = main(["learn", str(world.store), "-o", str(planted), "--resume", *FAST])
    err = capsys.readouterr().err
    assert not world.marker.exists(), "the planted checkpoint's payload ran"
    assert code == 1 and "refused" in err and "delete it to start over" in err, err


def test_tensor_files_still_load(tmp_path):
    torch.save({"a": torch.ones(2), "meta": {"epoch": 3, "name": "x"}}, tmp_path / "ok.pt")
    assert load_torch_file(tmp_path / "ok.pt", "file")["meta"]["epoch"] == 3
    (tmp_path / "bad.pt").write_bytes(pickle.dumps(Payload(tmp_path / "ran")))
    with pytest.raises(InputError, match="refused"):
        load_torch_file(tmp_path / "bad.pt", "file")
    assert not (tmp_path / "ran").exists()
