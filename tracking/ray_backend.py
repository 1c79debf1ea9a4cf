"""Extraction on a Ray cluster (`extract --backend ray`): every camera a Ray task, its part file
landed in the output store by the driver exactly as a local worker's is, so the store, the resume
and the summary are those of a local run (docs/cluster.md says how to run it).

Where a task's part file goes: when the node running it sees the driver's parts folder (shared
storage: a token file the driver wrote there reads back the same), the task writes the part there
directly; otherwise it writes to its own temporary folder and sends the file back through Ray's
object store, and the driver writes it into the parts folder before landing it. Either way a run
killed at any moment leaves the store readable and a rerun redoes only unfinished cameras.

Ray is an optional extra (`pip install 'tracklet-reid[ray]'`): a project dependency of hundreds of
MB for users of one machine would be waste.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from tracklet_reid.errors import InputError

TOKEN_FILE = ".ray-token"


def _ray():
    try:
        import ray
    except ImportError:
        raise InputError("--backend ray needs Ray: pip install 'tracklet-reid[ray]' (or pip install ray)") from None
    return ray


def _camera_task(job, cfg, mot_dir, gt_dir, appearance, token: str) -> tuple[dict, bytes | None]:
    """Runs on a Ray worker: one camera into a part file; its bytes come back unless the part
    folder is shared with the driver."""
    import cv2
    import torch

    from tracking.camera_job import run_camera_job

    torch.set_num_threads(1)  # one CPU per task (Ray's default request): no oversubscription
    cv2.setNumThreads(1)
    token_path = job.part.parent / TOKEN_FILE
    shared = token_path.is_file() and token_path.read_text() == token
    if shared:
        return run_camera_job(job, cfg, mot_dir, None, 1, gt_dir, appearance), None
    with tempfile.TemporaryDirectory(prefix="tracklet-reid-") as tmp:
        local = replace(job, part=Path(tmp) / job.part.name)
        summary = run_camera_job(local, cfg, mot_dir, None, 1, gt_dir, appearance)
        return summary, local.part.read_bytes()


def _connect(ray, address: str | None, cpus: int) -> bool:
    """Join the cluster at ``address`` (or RAY_ADDRESS), or start a local instance of ``cpus`` CPUs.
    True when this call started Ray (and so shuts it down at the end)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = {"include_dashboard": False, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=cpus, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise InputError(f"could not start or join {where}: {str(exc).splitlines()[0]}") from None
    return True


# noqa reason: the jobs and what every camera needs (config, MOT and gt folders, appearance model), plus
# the driver's progress and landing callbacks
def run_on_ray(jobs: list, cfg, mot_dir: str | None, gt_dir: str | None,  # noqa: PLR0913
               appearance, land: Callable, done_one: Callable[[str], None]) -> None:
    """Run ``jobs`` (tracking.camera_job.CameraJob) as Ray tasks; ``land(job, summary)`` each
    as it finishes, in the order they finish."""
    ray = _ray()
    started = _connect(ray, cfg.ray_address, cfg.workers)
    parts = jobs[0].part.parent
    token = uuid.uuid4().hex
    (parts / TOKEN_FILE).write_text(token)
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(_camera_task)
        refs = {task.remote(job, cfg, mot_dir, gt_dir, appearance, token): job for job in jobs}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            job = refs.pop(ready[0])
            try:
                summary, data = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, InputError):
                    raise InputError(str(cause)) from None
                raise InputError(f"camera {job.source.name}: the Ray task failed: "
                                 f"{type(cause).__name__ if cause else 'error'}: {cause}") from None
            if data is not None:  # not on shared storage: the part came back through Ray
                tmp = job.part.with_name(job.part.name + ".tmp")
                tmp.write_bytes(data)
                os.replace(tmp, job.part)  # whole or absent: a kill here leaves no half part
            land(job, summary)
            done_one(job.source.name)
    finally:
        (parts / TOKEN_FILE).unlink(missing_ok=True)
        for stale in parts.glob("*.tmp"):
            stale.unlink(missing_ok=True)
        if started:
            ray.shutdown()

