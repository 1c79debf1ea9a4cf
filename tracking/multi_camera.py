"""Extraction of a camera network: every camera of a folder into one tracklet store, resumable.

Each camera runs in its own worker (a process when --workers > 1, a Ray task with --backend ray:
tracking/ray_backend.py) and writes a part file of its own; the main process copies a finished part
into the store and deletes it. The store is never open for writing while video is being decoded,
so a killed run leaves it readable: finished cameras are complete, and a rerun starts at the first
camera that is not.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from detection.video import CameraSource, content_digest, discover_cameras
from tracking.camera_job import AppearanceFactory, CameraJob, run_camera_job
from tracking.clock import camera_start_times
from tracking.extract_config import ExtractConfig, setting_differences
from tracklet_reid.config_io import save_config
from tracklet_reid.errors import InputError
from tracklet_reid.output_paths import prepare_file, prepare_folder, remove_if_empty

SETTINGS_ATTR = "extract_settings"
SKIPPED_ATTR = "skipped_cameras"  # camera -> why it could not be read (--skip-bad-cameras)


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def cameras_in_progress(store: str | Path) -> list[str]:
    """Cameras with a part file beside ``store``: an extract is running, or was interrupted."""
    parts = _parts_dir(Path(store))
    return sorted(p.stem for p in parts.glob("*.h5")) if parts.is_dir() else []


def _check_settings(out: Path, cfg: ExtractConfig, sources: list[CameraSource]) -> list[str]:
    """Complete cameras already in ``out``; refuse to mix settings, or videos, in one store."""
    if not out.exists():
        return []
    from tracking.store import TrackletStore

    store = TrackletStore(out)  # validates schema and version; JSON attributes come back parsed
    old = store.attrs.get(SETTINGS_ATTR)
    now = cfg.tracking_settings()
    if old is not None and old != now:  # both JSON-shaped (config.to_dict)
        diffs = setting_differences(old, now)
        shown = "; ".join(diffs[:4]) + ("; ..." if len(diffs) > 4 else "")
        raise InputError(f"{out}: made with other extract settings (the store's vs now: {shown}); resume with the "
                         "same ones, or write to a new file (-o)")
    by_name = {s.name: s for s in sources}
    for cam in store.all_cameras:
        recorded = store.camera(cam).attrs.get("source")
        if cam not in by_name:
            raise InputError(f"{out}: holds camera {cam}, which is not in these videos; this is not a resume of "
                             "the same extraction: write to a new file (-o)")
        digest = store.camera(cam).attrs.get("source_digest")
        if recorded is not None and not _same_files(recorded, by_name[cam].paths, digest):
            same_path = _first(recorded) == str(by_name[cam].paths[0])
            raise InputError(f"{out}: camera {cam} was extracted from {_first(recorded)}"
                             + (", whose content has changed since (re-recorded?)" if same_path
                                else f", not {by_name[cam].paths[0]}") + "; write to a new file (-o)")
    return store.cameras


def _same_files(recorded, paths: list[Path], digest: str | None = None) -> bool:
    """The same videos: the same content where the store recorded a digest of it (`content_digest`);
    else (stores from before it) the same paths, or (a folder moved or copied) the same file names,
    each of the same size where the recorded file is still there. For image sequences the store
    records the listing, so one image more or less is another sequence."""
    if digest:
        return digest == content_digest(paths)
    rec = sorted((Path(r) for r in ([recorded] if isinstance(recorded, str) else recorded)), key=lambda p: p.name)
    now = sorted(paths, key=lambda p: p.name)
    if [p.resolve() for p in rec] == [p.resolve() for p in now]:
        return True
    return [p.name for p in rec] == [p.name for p in now] and all(
        not r.is_file() or r.stat().st_size == n.stat().st_size for r, n in zip(rec, now))


def _first(recorded) -> str:
    return recorded if isinstance(recorded, str) else (str(recorded[0]) if len(recorded) else "?")


def _queue_put(q, name: str, n: int) -> None:
    q.put((name, n))


def _part_is_complete(part: Path, camera: str) -> bool:
    if not part.exists():
        return False
    try:
        from tracking.store import TrackletStore

        return camera in TrackletStore(part).cameras
    except InputError:
        return False


@dataclass
class ExtractResult:
    cameras: list[dict]  # per-camera summaries of the cameras extracted by this run
    skipped: dict[str, str]  # cameras whose video could not be read (--skip-bad-cameras), and why
    # cameras complete in the store already (an earlier run with the same settings and videos),
    # kept as they are: a caller with quiet=True learns of the resume here
    reused: list[str] = field(default_factory=list)


def extract_cameras(videos: str, out: str, cfg: ExtractConfig, mot_dir: str | None = None,  # noqa: PLR0913
                    quiet: bool = False, gt_dir: str | None = None, appearance: AppearanceFactory | None = None,
                    cameras: list[str] | None = None) -> ExtractResult:
    """``appearance``: a picklable factory (built once per worker process) of the function that
    embeds a frame's boxes for the tracker (``cfg.reid_model``; made by the caller, since tracking
    knows no re-id model). ``cameras``: only these cameras of ``videos`` (a shard: one machine's
    share of a network; `pipeline combine` joins the shards' stores)."""
    from detection.offline_default import resolve_detector

    cfg = cfg.validate()
    out_p = Path(out)
    # an existing store is resumed, never replaced; checked against its settings and videos below
    prepare_file(out_p, {"--videos": videos, "--gt": gt_dir}, "tracklet store", replace=True)
    mot_created = mot_dir is not None and prepare_folder(mot_dir, {"--videos": videos, "--gt": gt_dir},
                                                         what="--mot-out folder")[1]
    try:
        detector, note = resolve_detector(cfg.detector)  # the offline default, once, before any video
        if note is not None:
            cfg = dataclasses.replace(cfg, detector=detector)
            print(f"pipeline extract: {note}", file=sys.stderr)
        return _extract(videos, out_p, cfg, mot_dir, quiet, gt_dir, appearance, cameras)
    except BaseException:
        if mot_created:
            remove_if_empty(Path(str(mot_dir)))
        raise


# noqa reason: the resume logic (done, pending, finished parts, skipped cameras) reads best in one place
def _extract(videos: str, out_p: Path, cfg: ExtractConfig, mot_dir: str | None,  # noqa: C901, PLR0913
             quiet: bool, gt_dir: str | None, appearance: AppearanceFactory | None = None,
             cameras: list[str] | None = None) -> ExtractResult:
    sources = discover_cameras(videos)
    # every camera of the folder: one offsets file serves the shards of a network (--cameras)
    starts = camera_start_times(cfg.start_time, cfg.clock_offsets, [s.name for s in sources])
    if cameras:
        unknown = sorted(set(cameras) - {s.name for s in sources})
        if unknown:
            raise InputError(f"--cameras: no camera {', '.join(unknown)} in {videos} (has: "
                             f"{', '.join(s.name for s in sources)})")
        sources = [s for s in sources if s.name in set(cameras)]
    done = set(_check_settings(out_p, cfg, sources))
    parts = _parts_dir(out_p)
    jobs, summaries = [], []
    skipped: dict[str, str] = {}
    for src in sources:
        if src.name in done:
            continue
        if cfg.fps:
            src.fps = cfg.fps
        try:
            src.probe()
        except InputError as exc:
            skipped[src.name] = str(exc)
            continue
        jobs.append(CameraJob(src, parts / f"{src.name}.h5", tuple(src.warnings), starts[src.name]))
    if not jobs and not done:
        raise InputError(f"{videos}: no camera could be read ({'; '.join(skipped.values())})")
    if skipped and not cfg.skip_bad_cameras:  # before any work: a network missing a camera is not the one asked for
        raise InputError(f"{videos}: {len(skipped)} camera(s) cannot be read: {'; '.join(skipped.values())} (fix or "
                         "remove them, or pass --skip-bad-cameras to extract the others)")
    for name, why in skipped.items():
        warnings.warn(f"skipping camera {name} (--skip-bad-cameras): {why}")
    parts.mkdir(exist_ok=True)  # after the refusals: a refused run leaves no empty parts folder behind
    if done and not quiet:
        print(f"resuming {out_p}: {len(done)} camera(s) already complete ({', '.join(sorted(done))})",
              file=sys.stderr)

    from tracking.store import StoreWriter

    def land(job: CameraJob, summary: dict | None) -> None:
        with StoreWriter(out_p, crop_hw=(cfg.tracklets.crop_height, cfg.tracklets.crop_width),
                         encoding=cfg.crop_encoding, jpeg_quality=cfg.jpeg_quality) as w:
            # the store says which cameras of the folder it lacks, for `inspect` and whoever reads it later
            w.set_attrs(**{SETTINGS_ATTR: cfg.tracking_settings(), SKIPPED_ATTR: skipped})
            w.copy_camera_from(job.part, job.source.name)
        if summary is None:
            summary = _summary_from_part(job)
        job.part.unlink()
        summaries.append(summary)
        for msg in summary.get("warnings", []):
            if msg not in job.shown:
                warnings.warn(msg)
        if not quiet and not sys.stderr.isatty():  # a log file gets one line per camera, not bars
            print(f"extract: camera {summary.get('camera', job.source.name)} done ({len(summaries)}/"
                  f"{len(jobs)}): {summary.get('frames', '?')} frames, {summary.get('tracklets', '?')} tracklets, "
                  f"{summary.get('seconds', 0):.1f} s", file=sys.stderr, flush=True)

    # a camera finished in its part file but not yet copied (killed in between): just copy it
    pending = []
    for job in jobs:
        if _part_is_complete(job.part, job.source.name):
            land(job, None)
        else:
            pending.append(job)

    bars = _Bars(pending, disable=quiet)
    try:
        if cfg.backend == "ray" and pending:
            from tracking.ray_backend import run_on_ray

            run_on_ray(pending, cfg, mot_dir, gt_dir, appearance, land, bars.finish)
        elif cfg.workers <= 1 or len(pending) <= 1:
            # in one process the appearance model is loaded once for all cameras
            shared = functools.lru_cache(maxsize=1)(appearance) if appearance is not None else None
            for job in pending:
                summary = run_camera_job(job, cfg, mot_dir, progress=functools.partial(bars.advance, job.source.name),
                                         gt_dir=gt_dir, appearance=shared)
                land(job, summary)
                bars.close_one(job.source.name)
        else:
            _run_parallel(pending, cfg, mot_dir, bars, land, gt_dir, appearance)
    finally:
        bars.close()
        try:
            parts.rmdir()  # only when empty: parts of a killed run stay for the next one
        except OSError:
            pass
    save_config(cfg, out_p.with_name(out_p.stem + ".extract.yaml"))
    return ExtractResult(summaries, skipped, sorted(done))


def _summary_from_part(job: CameraJob) -> dict:
    from tracking.store import TrackletStore

    attrs = TrackletStore(job.part).camera(job.source.name).attrs
    s = attrs.get("summary")
    return json.loads(s) if isinstance(s, str) else (s or {"camera": job.source.name})


def _run_parallel(jobs: list[CameraJob], cfg: ExtractConfig, mot_dir, bars: "_Bars", land, gt_dir,  # noqa: PLR0913
                  appearance: AppearanceFactory | None = None) -> None:
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")  # fork after cv2/torch threads start is unsafe
    workers = min(cfg.workers, len(jobs))
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ctx.Manager() as manager:
        q = manager.Queue()
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(run_camera_job, job, cfg, mot_dir, functools.partial(_queue_put, q, job.source.name),
                                   threads, gt_dir, appearance): job for job in jobs}
            remaining = set(futures)
            while remaining:
                finished, remaining = wait(remaining, timeout=0.2, return_when=FIRST_COMPLETED)
                while True:
                    try:
                        name, n = q.get_nowait()
                    except queue_mod.Empty:
                        break
                    bars.advance(name, n)
                for fut in finished:
                    job = futures[fut]
                    land(job, fut.result())
                    bars.close_one(job.source.name)


class _Bars:
    """One progress bar per camera, with frames/s; silent when stderr is not a terminal."""

    def __init__(self, jobs: list[CameraJob], disable: bool = False):
        from tqdm import tqdm

        self._bars = {}
        for pos, job in enumerate(jobs):
            self._bars[job.source.name] = tqdm(
                total=job.source.frame_count or None, desc=job.source.name, unit="frame", position=pos,
                leave=True, disable=True if disable else None, dynamic_ncols=True,
            )

    def advance(self, name: str, n: int) -> None:
        self._bars[name].update(n)

    def close_one(self, name: str) -> None:
        self._bars[name].refresh()

    def finish(self, name: str) -> None:
        """A camera done elsewhere (a Ray task): its bar jumps to the end."""
        bar = self._bars[name]
        if bar.total:
            bar.update(bar.total - bar.n)
        bar.refresh()

    def close(self) -> None:
        for b in self._bars.values():
            b.close()
