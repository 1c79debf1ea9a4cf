"""extract --backend ray: every camera a task on a local Ray instance (started by the test), the
store equal to the single-process one, and a killed run resumed without loss."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.helpers import assert_same_stores, world_extract_args
from tracking.store import TrackletStore
from tracklet_reid.synthetic import generate_world, world_config

ray = pytest.importorskip("ray", reason="Ray is the optional extra tracklet-reid[ray]; `make setup` installs it")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("ray-world")
    generate_world(out, world_config("tiny", "easy", seed=7, cameras=4, identities=6, frames=120))
    return out


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_extraction_equals_the_single_process_one(world, tmp_path, local_ray):
    assert main(world_extract_args(world, tmp_path / "one.h5")) == 0
    assert main(world_extract_args(world, tmp_path / "ray.h5", "--backend", "ray")) == 0
    assert_same_stores(tmp_path / "one.h5", tmp_path / "ray.h5")
    assert not (tmp_path / "ray.h5.parts").exists()  # every part landed, the token removed
    assert main(["inspect", str(tmp_path / "ray.h5"), "--verify"]) == 0


def test_parts_sent_back_through_ray_when_storage_is_not_shared(world, tmp_path, local_ray, monkeypatch):
    from tracking import ray_backend

    # the driver writes its token under another name: no task finds it, as on a node without the
    # driver's disk, so every part comes back through Ray's object store
    monkeypatch.setattr(ray_backend, "TOKEN_FILE", ".token-elsewhere")
    written = []
    real = Path.write_bytes

    def spy(self, data):
        written.append(self.name)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", spy)
    assert main(world_extract_args(world, tmp_path / "sent.h5", "--backend", "ray", "--cameras", "cam1,cam2")) == 0
    assert sorted(written) == ["cam1.h5.tmp", "cam2.h5.tmp"]
    assert main(world_extract_args(world, tmp_path / "ref.h5", "--cameras", "cam1,cam2")) == 0
    assert_same_stores(tmp_path / "ref.h5", tmp_path / "sent.h5")


@pytest.mark.slow
def test_killed_ray_extraction_resumes(world, tmp_path):
    out = tmp_path / "k.h5"
    cmd = [sys.executable, "-m", "pipeline", *world_extract_args(world, out, "--backend", "ray", "--workers", "1")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HDF5_USE_FILE_LOCKING": "FALSE", "RAY_ADDRESS": ""}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:  # kill once a camera has landed
        if out.exists():
            try:
                if TrackletStore(out).cameras:
                    break
            except Exception:  # being written: look again
                pass
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the Ray instance it started
    proc.wait()
    landed = TrackletStore(out).cameras
    assert 1 <= len(landed) < 4, "the run was to be killed between cameras"
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert main(world_extract_args(world, tmp_path / "ref.h5")) == 0
    assert_same_stores(tmp_path / "ref.h5", out)
    assert not (tmp_path / "k.h5.parts").exists()
