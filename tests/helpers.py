"""Small builders shared by tests."""
from __future__ import annotations

import numpy as np

from tracking.store import StoreWriter


def write_store(path, cameras=None, encoding="jpeg", crop_hw=(32, 16), finish=True, seed=0, gt=True):
    """A store with cameras {name: [tracklet lengths]}; crops are random noise plus a colour."""
    rng = np.random.default_rng(seed)
    cameras = cameras or {"c1": [3, 5], "c2": [4]}
    with StoreWriter(path, crop_hw=crop_hw, encoding=encoding) as w:
        for ci, (name, lengths) in enumerate(cameras.items()):
            cam = w.camera(name, fps=10.0, frame_count=100)
            frame = 0
            for ti, n in enumerate(lengths):
                crops = rng.integers(0, 255, size=(n, *crop_hw, 3), dtype=np.uint8)
                frames = np.arange(frame, frame + n)
                boxes = np.tile([10, 20, 30, 60], (n, 1)).astype(np.float32)
                cam.add_tracklet(crops, frames, boxes, np.full(n, 0.9), track_id=ti + 1,
                                 gt_identity=ti if gt else -1)
                frame += n
            if finish:
                cam.finish()
    return path


def make_camera_video(path, n_frames=40, size=(160, 120), people=((10, 20, 2, 0),), fps=10.0):
    """An MJPG video of coloured people-shaped boxes walking right; returns the MOT ground truth rows
    (frame 1-based, id, x, y, w, h) and writes a det.txt-ready array too."""
    import cv2

    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    rows = []
    rng = np.random.default_rng(0)
    bg = rng.integers(60, 90, size=(h, w, 3), dtype=np.uint8)
    for f in range(n_frames):
        img = bg.copy()
        for pid, (x0, y0, vx, vy) in enumerate(people, start=1):
            x, y = x0 + vx * f, y0 + vy * f
            bw, bh = 14, 40
            if x + bw > w or y + bh > h:
                continue
            colour = [(40 * pid) % 255, 200, (90 * pid) % 255]
            cv2.rectangle(img, (int(x), int(y)), (int(x + bw), int(y + bh)), colour, -1)
            cv2.circle(img, (int(x + bw / 2), int(y - 5)), 5, (200, 170, 150), -1)
            rows.append((f + 1, pid, x, y, bw, bh))
        writer.write(img)
    writer.release()
    return np.array(rows, dtype=np.float64).reshape(-1, 6)


def write_det_txt(path, gt_rows, score=0.9):
    """MOT det.txt from ground-truth rows (frame, id, x, y, w, h)."""
    lines = [f"{int(r[0])},-1,{r[2]:.2f},{r[3]:.2f},{r[4]:.2f},{r[5]:.2f},{score},-1,-1,-1" for r in gt_rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if lines else ""))


def write_reid_store(path, cameras=3, identities=6, tracklets_per_id=2, crops=4, crop_hw=(64, 32), seed=0,  # noqa: PLR0913
                     one_crop_tracklet=False, with_gt=True):
    """A store where each identity has a two-colour body pattern, seen in every camera with a
    camera colour cast; tracklets are fragments of identities (gt kept for evaluation)."""
    rng = np.random.default_rng(seed)
    top = rng.integers(0, 255, size=(identities, 3))
    bottom = rng.integers(0, 255, size=(identities, 3))
    h, w = crop_hw
    with StoreWriter(path, crop_hw=crop_hw, encoding="jpeg") as wr:
        for c in range(cameras):
            cast = rng.uniform(0.8, 1.2, 3)
            cam = wr.camera(f"cam{c + 1}", fps=10.0, frame_count=1000)
            frame = c * 1000  # people reach the next camera later: no time overlap across cameras
            for pid in range(identities):
                for frag in range(tracklets_per_id):
                    n = 1 if (one_crop_tracklet and pid == 0 and frag == 0) else crops
                    imgs = np.zeros((n, h, w, 3), np.float32)
                    imgs[:, : h // 2] = top[pid]
                    imgs[:, h // 2:] = bottom[pid]
                    imgs = imgs * cast + rng.normal(0, 12, imgs.shape)
                    imgs = np.clip(imgs, 0, 255).astype(np.uint8)
                    frames = np.arange(frame, frame + n)
                    cam.add_tracklet(imgs, frames, np.tile([0, 0, w, h], (n, 1)), np.ones(n), pid * 10 + frag,
                                     gt_identity=pid if with_gt else -1)
                    frame += n + 5
            cam.finish()
    return path


def read_video(path) -> list[np.ndarray]:
    """Every frame OpenCV reads from ``path``, BGR."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames


def world_extract_args(world, out, *extra) -> list[str]:
    """`pipeline extract` of a generated world's cameras with its detection files (argv)."""
    return ["extract", "--videos", str(world / "cams"), "--detector", "file", "--detections", str(world / "det"),
            "-o", str(out), "-q", *[str(e) for e in extra]]


def assert_same_stores(a, b) -> None:
    """The same cameras with the same tracklets, boxes and crop bytes (order of cameras aside)."""
    from tracking.store import TrackletStore

    one, other = TrackletStore(a), TrackletStore(b)
    assert sorted(one.cameras) == sorted(other.cameras)
    for cam in one.cameras:
        x, y = one.camera(cam), other.camera(cam)
        assert np.array_equal(x.tracklets, y.tracklets) and np.array_equal(x.crop_box, y.crop_box)
        assert all(one.encoded_crop(cam, i) == other.encoded_crop(cam, i) for i in range(x.num_crops))


def write_learnable_store(path, identities=20, fragments=2, crops=6, crop_hw=(32, 16), cast=0.25, seed=0):
    """Two cameras that each see every identity (a two-colour body) in ``fragments`` tracklets;
    each crop moves the colour boundary, its brightness and adds strong pixel noise (what a
    tracklet's frames vary in), and each camera casts its colours (what the cameras differ in).
    Features from random weights rank the other camera's fragments poorly (R1 about 0.4 at the
    defaults); learning invariance to what varies inside a tracklet ranks them well."""
    rng = np.random.default_rng(seed)
    top = rng.integers(0, 255, size=(identities, 3))
    bottom = rng.integers(0, 255, size=(identities, 3))
    h, w = crop_hw
    with StoreWriter(path, crop_hw=crop_hw, encoding="jpeg") as wr:
        for c in range(2):
            gain = rng.uniform(1 - cast, 1 + cast, 3)
            cam = wr.camera(f"cam{c + 1}", fps=10.0, frame_count=100_000)
            frame = c * 50_000  # the cameras see people at different times: no time veto across them
            for pid in range(identities):
                for frag in range(fragments):
                    cut = h // 2 + rng.integers(-h // 4, h // 4 + 1, size=crops)
                    rows = np.arange(h)[None, :, None, None]
                    imgs = np.where(rows < cut[:, None, None, None], top[pid], bottom[pid]).astype(np.float32)
                    imgs = np.broadcast_to(imgs, (crops, h, w, 3)) * rng.uniform(0.7, 1.3, (crops, 1, 1, 1))
                    imgs = np.clip(imgs * gain + rng.normal(0, 30, imgs.shape), 0, 255).astype(np.uint8)
                    frames = np.arange(frame, frame + crops)
                    cam.add_tracklet(imgs, frames, np.tile([0, 0, w, h], (crops, 1)), np.ones(crops),
                                     pid * 10 + frag, gt_identity=pid)
                    frame += crops + 50
            cam.finish()
    return path
