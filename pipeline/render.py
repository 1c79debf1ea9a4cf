"""`pipeline render`: each camera's video with every person's box, id and trail drawn (ids from
match's global identities, merge's trajectories or extract's tracks), optionally with heads blurred;
around `tracking.render`."""
from __future__ import annotations

import argparse

# the longest gap between two boxes of one id that blurring bridges: sampled crops of a long tracklet
# are seconds apart; a longer gap is someone out of view, whose place in between is unknown
MAX_BLUR_GAP_S = 10.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="draw boxes, ids and trails on each camera's video",
                       description="For every camera of --videos that has <camera>.txt in --tracks (match's "
                       "mot/ for global ids, merge's mot/ for trajectories, extract's --mot-out for tracks), "
                       "writes OUT/<camera>.avi (MJPG; --format mp4 for mp4v where OpenCV has it).")
    p.add_argument("--videos", required=True, help="the folder extract read (one video or folder per camera)")
    p.add_argument("--tracks", required=True, help="folder of per-camera MOT text with the ids to draw")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--trail", type=int, default=20, help="frames of trail behind each person (0: none; default 20)")
    p.add_argument("--blur-faces", action="store_true", help="blur each person's head region (the top 22 %% of "
                   "the box, full width: a rule for upright people, not a face detector) on every frame of their "
                   "track: where --tracks has boxes only on sampled frames (match without --mot), the boxes between "
                   "are interpolated (gaps up to 10 s) and a warning says how many; a person no track covers is "
                   "not blurred")
    p.add_argument("--global-id", type=int, help="draw this person alone (the id in --tracks: match's global id, "
                   "as its global_ids.csv and report number them); with --blur-faces everyone is still blurred")
    p.add_argument("--force", action="store_true", help="replace a blurred render in OUT with an unblurred one")
    p.add_argument("--format", default="avi", choices=("avi", "mp4"), help="avi (MJPG, default) or mp4 (mp4v)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    run_render(args.videos, args.tracks, args.out, args.trail, args.blur_faces, args.format, args.quiet, args.force,
               args.global_id)
    return 0


# noqa reason: the command's inputs and its three drawing choices
def run_render(videos: str, tracks: str, out: str, trail: int = 20, blur: bool = False,  # noqa: PLR0913
               fmt: str = "avi", quiet: bool = False, force: bool = False,
               global_id: int | None = None) -> dict[str, dict]:
    """camera -> {"path", "frames", "size"} of the videos written."""
    import sys
    from pathlib import Path

    from tqdm import tqdm

    from detection.mot_text import read_mot
    from detection.video import discover_cameras
    from tracking.render import fill_gaps, render_camera
    from tracklet_reid.errors import InputError
    from tracklet_reid.output_paths import output_folder

    if trail < 0:
        raise InputError(f"--trail {trail}: must be 0 or more")
    if not Path(tracks).is_dir():
        raise InputError(f"--tracks {tracks}: no such folder")
    cams = discover_cameras(videos)
    have = [c for c in cams if (Path(tracks) / f"{c.name}.txt").is_file()]
    if not have:
        raise InputError(f"--tracks {tracks}: no <camera>.txt for any camera of {videos} "
                         f"({', '.join(c.name for c in cams) or 'none found'})")
    for c in cams:
        if c not in have:
            print(f"pipeline render: camera {c.name}: no {c.name}.txt in {tracks}, skipped", file=sys.stderr)
    written: dict[str, dict] = {}
    tracks_of = {c.name: read_mot(Path(tracks) / f"{c.name}.txt") for c in have}
    if global_id is not None and not any((r.ids == global_id).any() for r in tracks_of.values()):
        raise InputError(f"--global-id {global_id}: no box with that id in {tracks} (its files hold ids "
                         f"{', '.join(map(str, sorted({int(i) for r in tracks_of.values() for i in r.ids})[:20]))})")
    settings = {"trail": trail, "blur_faces": blur, "format": fmt, "global_id": global_id}
    with output_folder(out, {"--videos": videos, "--tracks": tracks}, tuple(f"{c.name}.{fmt}" for c in have),
                       command="render", settings=settings, force=force) as out_p:
        for cam in have:
            cam.probe()
            rows = tracks_of[cam.name]
            path = out_p / f"{cam.name}.{fmt}"
            size = cam.frame_size or (0, 0)
            fps = cam.fps or 10.0
            filled, n_filled = fill_gaps(rows, max(int(round(MAX_BLUR_GAP_S * fps)), 1)) if blur else (rows, 0)
            if n_filled:
                print(f"pipeline render: camera {cam.name}: {tracks} has boxes on {len(rows)} of the "
                      f"{len(rows) + n_filled} frames its people are tracked over (frames the tracker lost them, or "
                      f"only the sampled crop frames where match ran without --mot); heads blurred on the {n_filled} "
                      "frames between by interpolating the boxes", file=sys.stderr)
            with tqdm(total=cam.frame_count, unit="frame", desc=f"render {cam.name}",
                      disable=True if quiet else None) as bar:
                drawn = rows if global_id is None else rows.select(rows.ids == global_id)
                n = render_camera(cam.frames(), drawn, path, fps, size, trail, blur, bar.update, filled)
            written[cam.name] = {"path": str(path), "frames": n, "size": size, "interpolated_boxes": n_filled}
            if not quiet:
                print(f"{cam.name}: {n} frames -> {path}" + (" (heads blurred)" if blur else ""))
    return written
