"""Generate a multi-camera world: T cameras, N identities walking through several of them over
time, rendered to video with MOTChallenge ground truth and noisy detections. Views are disjoint
(each camera watches its own place), or with ``overlap`` they come in pairs that watch one place
from two sides, so that a person is mostly in both views of a pair at once, or with ``network``
they watch places on a walking graph, each at its own frame rate and clock
(`tracklet_reid.synthetic.network_video`).

Deterministic from the seed. Layout written under ``out``:
    cams/<camera>.avi            MJPG video, one per camera (the input of `pipeline extract`)
    gt/<camera>.txt              MOTChallenge gt: frame,id,x,y,w,h,flag,1,visibility (ids global)
    det/<camera>.txt             noisy detections: frame,-1,x,y,w,h,score,-1,-1,-1
    world.json                   the config, identities, cameras and visits
    topology_truth.json          network preset: links, transit medians, clock offsets (scoring only)
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable

import numpy as np

from tracklet_reid.synthetic.people import Identity, draw_person, random_identities
from tracklet_reid.synthetic.scene import Camera, Visit, WorldConfig

SIZES = {
    "tiny": dict(cameras=3, identities=10, frames=150, width=320, height=240, h_near=110, h_far=62),
    "demo": dict(cameras=4, identities=36, frames=500, width=640, height=360, h_near=170, h_far=70),
    "large": dict(cameras=6, identities=120, frames=1500, width=640, height=360, h_near=170, h_far=70),
}
DIFFICULTIES = {
    "easy": dict(cast=0.05, blur=0.0, noise=2.0, occluders=0, palette=10, det_miss=0.02, fp_rate=0.02,
                 jitter=0.02, re_entry=0.1),
    "default": dict(cast=0.22, blur=0.8, noise=5.0, occluders=2, palette=6, det_miss=0.08, fp_rate=0.1,
                    jitter=0.05, re_entry=0.3),
    "hard": dict(cast=0.35, blur=1.4, noise=9.0, occluders=3, palette=4, det_miss=0.15, fp_rate=0.3,
                 jitter=0.08, re_entry=0.45),
}


VIEWS = ("disjoint", "overlapping", "network")


def world_config(size: str = "demo", difficulty: str = "default", seed: int = 0, views: str = "disjoint",
                 **overrides) -> WorldConfig:
    if views not in VIEWS:
        raise ValueError(f"unknown views {views!r}: {', '.join(VIEWS)}")
    if views != "disjoint":
        overrides = {"overlap" if views == "overlapping" else "network": True, **overrides}
    if size not in SIZES:
        raise ValueError(f"unknown size preset {size!r}: {', '.join(SIZES)}")
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}: {', '.join(DIFFICULTIES)}")
    return WorldConfig(**{**SIZES[size], **DIFFICULTIES[difficulty], "seed": seed, **overrides})


def _make_cameras(cfg: WorldConfig, rng: np.random.Generator) -> list[Camera]:
    cams = []
    for c in range(cfg.cameras):
        gain = tuple(float(g) for g in np.clip(1 + rng.uniform(-cfg.cast, cfg.cast, 3), 0.5, 1.5))
        occ = []
        for _ in range(cfg.occluders):
            kind = rng.choice(["pillar", "tree", "car"])
            w = rng.uniform(0.05, 0.09) * cfg.width if kind == "pillar" else rng.uniform(0.1, 0.18) * cfg.width
            x = rng.uniform(0.15, 0.85) * cfg.width
            occ.append({"kind": str(kind), "x": float(x), "w": float(w),
                        "colour": [int(v) for v in rng.integers(40, 200, 3)]})
        cams.append(Camera(
            name=f"cam{c + 1}", ground=tuple(int(v) for v in rng.integers(70, 170, 3)), gain=gain,
            brightness=float(rng.uniform(-25, 25) * cfg.cast / 0.22 if cfg.cast else 0.0),
            blur=float(cfg.blur * rng.uniform(0.6, 1.4)), noise=float(cfg.noise * rng.uniform(0.7, 1.3)),
            horizon=float(cfg.height * rng.uniform(0.42, 0.55)), scale=float(rng.uniform(0.85, 1.15)),
            occluders=occ, fps=cfg.fps, frames=cfg.frames,
        ))
    return cams


def places(cfg: WorldConfig) -> list[list[int]]:
    """The cameras that watch each place: one each, or pairs with ``overlap``."""
    if not cfg.overlap:
        return [[c] for c in range(cfg.cameras)]
    return [list(range(c, min(c + 2, cfg.cameras))) for c in range(0, cfg.cameras, 2)]


def _make_visits(cfg: WorldConfig, cams: list[Camera], people: list[Identity], rng) -> list[Visit]:
    visits: list[Visit] = []
    where = places(cfg)
    for p in people:
        k = int(rng.integers(min(cfg.visits[0], len(where)), min(cfg.visits[1], len(where)) + 1))
        route = rng.choice(len(where), size=k, replace=False).tolist()
        if rng.random() < cfg.re_entry:  # back into a place already visited
            route.insert(int(rng.integers(1, len(route) + 1)), route[int(rng.integers(len(route)))])
        t = int(rng.integers(0, max(cfg.frames // 3, 1)))
        for place in route:
            first, *others = where[place]
            v = _visit(cfg, cams[first], p, first, t, rng)
            visits.append(v)
            duration = v.duration(cams[first], cfg)
            for ci in others:  # the other side of the place: about the same time, its own path
                if rng.random() < cfg.partner_sees:
                    shift = int(rng.uniform(-0.25, 0.25) * duration)
                    visits.append(_visit(cfg, cams[ci], p, ci, max(t + shift, 0), rng))
            t += duration + int(rng.integers(cfg.fps * 2, cfg.fps * 12))  # walk to the next place
    return visits


def _visit(cfg: WorldConfig, cam: Camera, p: Identity, ci: int, start: int, rng) -> Visit:
    going_right = rng.random() < 0.5
    margin = cfg.h_near * 0.3
    xa, xb = -margin, cfg.width + margin
    lo, hi = cam.horizon + 0.25 * (cfg.height - cam.horizon), cfg.height - 2
    y0, y1 = rng.uniform(lo, hi), rng.uniform(lo, hi)
    speed = 0.045 * cfg.h_near * p.speed * 10.0 / cfg.fps
    return Visit(p.pid, ci, start, xa if going_right else xb, xb if going_right else xa, float(y0), float(y1),
                 float(speed))


def _background(cfg: WorldConfig, cam: Camera, rng) -> np.ndarray:
    import cv2

    H, W = cfg.height, cfg.width
    img = np.zeros((H, W, 3), np.float32)
    wall = rng.integers(90, 220, 3)
    img[: int(cam.horizon)] = wall
    img[int(cam.horizon):] = cam.ground
    for _ in range(int(rng.integers(4, 9))):  # buildings, windows, doors
        x, w = rng.uniform(0, W), rng.uniform(20, W / 4)
        top = rng.uniform(0, cam.horizon * 0.7)
        colour = rng.integers(60, 230, 3)
        cv2.rectangle(img, (int(x), int(top)), (int(x + w), int(cam.horizon)), colour.tolist(), -1)
        for _ in range(int(rng.integers(0, 6))):
            wx, wy = rng.uniform(x, x + w), rng.uniform(top, cam.horizon - 10)
            cv2.rectangle(img, (int(wx), int(wy)), (int(wx + 8), int(wy + 10)), (40, 50, 70), -1)
    yy = np.arange(H)[:, None]
    tiles = ((np.arange(W)[None, :] // 24 + (yy // 12)) % 2) * 10.0  # paving
    img[int(cam.horizon):] += tiles[int(cam.horizon):, :, None]
    img += rng.normal(0, 6, img.shape)  # texture
    return np.clip(img, 0, 255)


def _person_height(cfg: WorldConfig, cam: Camera, feet_y: float) -> float:
    depth = np.clip((feet_y - cam.horizon) / max(cfg.height - cam.horizon, 1), 0, 1)
    return float((cfg.h_far + (cfg.h_near - cfg.h_far) * depth) * cam.scale)


def _occluder_layer(cfg: WorldConfig, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    H, W = cfg.height, cfg.width
    img = np.zeros((H, W, 3), np.uint8)
    mask = np.zeros((H, W), np.uint8)
    for o in cam.occluders:
        x, w, colour = int(o["x"]), int(o["w"]), tuple(o["colour"])
        if o["kind"] == "pillar":
            pts = [(x, 0), (x + w, 0), (x + w, H), (x, H)]
        elif o["kind"] == "tree":
            cv2.circle(img, (x + w // 2, int(H * 0.4)), int(w * 0.8), (40, 110, 40), -1)
            cv2.circle(mask, (x + w // 2, int(H * 0.4)), int(w * 0.8), 1, -1)
            pts = [(x + w // 3, int(H * 0.4)), (x + 2 * w // 3, int(H * 0.4)), (x + 2 * w // 3, H), (x + w // 3, H)]
        else:  # a parked car low in the frame
            top = int(H * 0.72)
            pts = [(x - w // 2, top), (x + w + w // 2, top), (x + w + w // 2, H), (x - w // 2, H)]
        cv2.fillConvexPoly(img, np.array(pts, np.int32), colour)
        cv2.fillConvexPoly(mask, np.array(pts, np.int32), 1)
    return img, mask


# noqa reason: the per-frame rendering loop of one camera (people, occluders, detections, gt)
def _render_camera(cfg: WorldConfig,  # noqa: C901
                    cam: Camera, ci: int, visits: list[Visit], people: list[Identity],
                   out: Path, rng, progress: Callable[[int], None] | None) -> tuple[list, list]:
    import cv2

    H, W = cfg.height, cfg.width
    bg = _background(cfg, cam, rng)
    occ_img, occ_mask = _occluder_layer(cfg, cam)
    gain = np.asarray(cam.gain, np.float32)
    mine = [v for v in visits if v.camera == ci]
    writer = cv2.VideoWriter(str(out / "cams" / f"{cam.name}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), cam.fps, (W, H))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPG video here")
    gt_rows, det_rows = [], []
    frame_noise = np.random.default_rng(cfg.seed * 1000 + ci)
    clutter = static_clutter(cfg, cam, np.random.default_rng(cfg.seed * 1000 + ci + 500))
    for f in range(cam.frames):
        img = bg.copy()
        labels = np.full((H, W), -1, np.int32)
        active = []
        for v in mine:
            d = v.duration(cam, cfg)
            if v.start <= f < v.start + d:
                a = (f - v.start) / max(d - 1, 1)
                feet_y = v.y0 + (v.y1 - v.y0) * a
                active.append((feet_y, v, a))
        drawn = []
        for feet_y, v, a in sorted(active, key=lambda t: t[0]):  # far first
            p = people[v.pid]
            h = _person_height(cfg, cam, feet_y)
            x = v.x0 + (v.x1 - v.x0) * a
            facing = 1 if v.x1 > v.x0 else -1
            phase = p.stride_phase + (f - v.start) * 0.55 * 10.0 / cam.fps
            patch, pmask, (fx, fy) = draw_person(p, h, phase, facing, np.ones(3))
            ox, oy = int(round(x)) - fx, int(round(feet_y)) - fy
            x0, y0 = max(ox, 0), max(oy, 0)
            x1, y1 = min(ox + patch.shape[1], W), min(oy + patch.shape[0], H)
            if x1 <= x0 or y1 <= y0:
                continue
            sub = pmask[y0 - oy:y1 - oy, x0 - ox:x1 - ox].astype(bool)
            if not sub.any():
                continue
            region = img[y0:y1, x0:x1]
            region[sub] = patch[y0 - oy:y1 - oy, x0 - ox:x1 - ox][sub]
            labels[y0:y1, x0:x1][sub] = v.pid
            ys, xs = np.nonzero(sub)
            full = int(pmask.sum())
            drawn.append((v.pid, x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1, full))
        occ = occ_mask.astype(bool)
        img[occ] = occ_img[occ]
        labels[occ] = -1
        counts = np.bincount(labels[labels >= 0].ravel(), minlength=len(people)) if drawn else None
        for pid, bx0, by0, bx1, by1, full in drawn:
            vis = float(counts[pid]) / max(full, 1)
            flag = int(vis >= 0.25 and by1 - by0 >= 10)
            gt_rows.append((f + 1, pid, bx0, by0, bx1 - bx0, by1 - by0, flag, 1, round(vis, 3)))
            if vis >= 0.25 and frame_noise.random() > cfg.det_miss / min(vis / 0.7, 1.0):
                bw, bh = bx1 - bx0, by1 - by0
                j = frame_noise.normal(0, cfg.jitter, 4) * [bw, bh, bw, bh]
                score = person_score(frame_noise, vis, bh / cfg.h_near)
                det_rows.append((f + 1, bx0 + j[0], by0 + j[1], bw + j[2] - j[0], bh + j[3] - j[1], score))
        for cx, cy, cw, ch, seen, mean in clutter:  # a detector's steady mistakes: there most frames
            if frame_noise.random() < seen:
                j = frame_noise.normal(0, cfg.jitter, 4) * [cw, ch, cw, ch]
                det_rows.append((f + 1, cx + j[0], cy + j[1], cw + j[2] - j[0], ch + j[3] - j[1],
                                 float(np.clip(frame_noise.normal(mean, 0.08), 0.02, 0.9))))
        for _ in range(frame_noise.poisson(cfg.fp_rate)):
            fh = frame_noise.uniform(cfg.h_far, cfg.h_near) * 0.8
            fw = fh * frame_noise.uniform(0.3, 0.5)
            fx, fy = frame_noise.uniform(0, W - fw), frame_noise.uniform(cam.horizon - fh * 0.5, H - fh)
            det_rows.append((f + 1, fx, fy, fw, fh, float(np.clip(frame_noise.normal(0.3, 0.12), 0.02, 0.9))))
        # the camera: colour cast, brightness, optics blur, sensor noise
        img = img * gain + cam.brightness
        if cam.blur > 0.05:
            img = cv2.GaussianBlur(img, (0, 0), cam.blur)
        img += frame_noise.normal(0, cam.noise, img.shape).astype(np.float32)
        frame = np.clip(img, 0, 255).astype(np.uint8)
        writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
        if progress:
            progress(1)
    writer.release()
    return gt_rows, det_rows


def static_clutter(cfg: WorldConfig, cam: Camera, rng: np.random.Generator) -> list[tuple]:
    """Places where the detector keeps seeing a person who is not there (a coat stand, a poster):
    real detectors' false positives persist as often as they flicker, mostly at low scores. One per
    0.1 false positives a frame; each (x, y, w, h, share of frames it fires, mean score)."""
    out = []
    for _ in range(int(round(cfg.fp_rate * 10))):
        h = rng.uniform(cfg.h_far, cfg.h_near) * cam.scale * 0.8
        w = h * rng.uniform(0.3, 0.45)
        x, y = rng.uniform(0, cfg.width - w), rng.uniform(cam.horizon - h * 0.5, cfg.height - h)
        out.append((x, y, w, h, rng.uniform(0.3, 0.8), rng.uniform(0.2, 0.45)))
    return out


def person_score(rng: np.random.Generator, visible: float, size: float) -> float:
    """A detector's confidence in a person's box, as real detectors give it: high for a whole,
    near person (~0.95), lower for a small one (half the nearest height: ~0.8), low for a half-hidden
    one (half visible: ~0.45, a quarter: ~0.3), so that the low-score band ByteTrack's second
    association reads holds real people (false positives score ~0.3, see the caller)."""
    mean = 0.2 + 0.75 * visible ** 1.5 * (0.6 + 0.4 * min(size, 1.0))
    return float(np.clip(rng.normal(mean, 0.08), 0.02, 1.0))


def generate_world(out: str | Path, cfg: WorldConfig, progress: Callable[[int], None] | None = None) -> dict:
    """Render every camera of the world into ``out``; returns the world description (world.json)."""
    out = Path(out)
    for sub in ("cams", "gt", "det"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    people = random_identities(cfg.identities, rng, shared_palette=cfg.palette)
    cams = _make_cameras(cfg, rng)
    truth = None
    if cfg.network:
        from tracklet_reid.synthetic.network_video import network_visits

        visits, truth = network_visits(cfg, cams, people, rng)
    else:
        visits = _make_visits(cfg, cams, people, rng)
    for ci, cam in enumerate(cams):
        gt_rows, det_rows = _render_camera(cfg, cam, ci, visits, people, out, np.random.default_rng(cfg.seed + 17 * ci),
                                           progress)
        with open(out / "gt" / f"{cam.name}.txt", "w") as fh:
            for r in gt_rows:
                fh.write(f"{r[0]},{r[1]},{r[2]:.0f},{r[3]:.0f},{r[4]:.0f},{r[5]:.0f},{r[6]},{r[7]},{r[8]}\n")
        with open(out / "det" / f"{cam.name}.txt", "w") as fh:
            for r in sorted(det_rows):
                fh.write(f"{r[0]},-1,{r[1]:.1f},{r[2]:.1f},{r[3]:.1f},{r[4]:.1f},{r[5]:.3f},-1,-1,-1\n")
    world = {
        "config": dataclasses.asdict(cfg),
        "cameras": [dataclasses.asdict(c) for c in cams],
        "identities": [dataclasses.asdict(p) for p in people],
        "visits": [dataclasses.asdict(v) for v in visits],
    }
    (out / "world.json").write_text(json.dumps(world, indent=1))
    truth_file = out / "topology_truth.json"
    if truth is not None:  # beside the ground truth, for scoring only
        truth_file.write_text(json.dumps(truth, indent=1))
    else:  # a network world rendered here before must not score this one
        truth_file.unlink(missing_ok=True)
    return world
