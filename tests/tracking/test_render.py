"""render: boxes, ids and trails on each camera's video; --blur-faces touches the head regions only."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.cli import main
from tests.helpers import read_video
from tracking.render import blur_heads, draw_frame, head_box
from tracklet_reid.synthetic import generate_world, world_config


def _inside(shape, boxes, pad=0):
    mask = np.zeros(shape[:2], bool)
    for b in boxes:
        r = head_box(b, shape[:2])
        if r:
            a, bb, c, d = r
            mask[max(bb - pad, 0):d + pad, max(a - pad, 0):c + pad] = True
    return mask


def test_blur_changes_head_regions_only():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 5, 50, 105], [100, -10, 170, 90]], float)  # the second leaves the frame
    out = blur_heads(frame, boxes)
    heads = _inside(frame.shape, boxes)
    assert (out[~heads] == frame[~heads]).all()
    assert np.abs(out[heads].astype(int) - frame[heads]).mean() > 20  # noise is smoothed away
    assert head_box(np.array([10, 5, 50, 105]), (120, 160)) == (10, 5, 50, 27)  # top 22 %, full width
    # drawn with and without the blur: the pictures differ inside the head regions only
    ids = np.array([3, 7])
    a = draw_frame(frame, ids, boxes, {}, blur=False)
    b = draw_frame(frame, ids, boxes, {}, blur=True)
    assert (a[~heads] == b[~heads]).all() and (a[heads] != b[heads]).any()


def _read(path):
    return np.stack(read_video(path))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    generate_world(out, world_config("tiny", "easy", seed=3, cameras=2, identities=4, frames=40))
    return out


def test_render_writes_a_playable_video_per_camera(world, tmp_path, capsys):
    assert main(["render", "--videos", str(world / "cams"), "--tracks", str(world / "gt"), "-o", str(tmp_path / "r"),
                 "-q"]) == 0
    assert main(["render", "--videos", str(world / "cams"), "--tracks", str(world / "gt"), "-o",
                 str(tmp_path / "b"), "--blur-faces", "-q"]) == 0
    for cam in ("cam1", "cam2"):
        plain, blurred = _read(tmp_path / "r" / f"{cam}.avi"), _read(tmp_path / "b" / f"{cam}.avi")
        src = _read(world / "cams" / f"{cam}.avi")
        assert plain.shape == blurred.shape == src.shape  # every frame, the video's size
        gt = np.loadtxt(world / "gt" / f"{cam}.txt", delimiter=",", ndmin=2)
        inside: list[float] = []
        for f in range(len(plain)):
            rows = gt[gt[:, 0] == f + 1]
            boxes = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]] if len(rows) else np.zeros((0, 4))
            # MJPG codes 16 x 16 blocks apart: outside the head regions (plus one block) nothing
            # changes but the decoder's chroma smoothing at block edges (a few levels)
            near = _inside(plain[f].shape, boxes, pad=16)
            diff = np.abs(plain[f].astype(int) - blurred[f]).max(axis=2)
            assert diff[~near].max(initial=0) <= 6 and (diff[~near] > 0).mean() < 0.002
            if near.any():
                inside.append(diff[_inside(plain[f].shape, boxes)].mean())
        assert np.mean(inside) > 1  # the heads did change


def test_render_needs_tracks_for_some_camera(world, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["render", "--videos", str(world / "cams"), "--tracks", str(tmp_path / "empty"), "-o",
                 str(tmp_path / "r"), "-q"]) == 1
    assert "no <camera>.txt" in capsys.readouterr().err


def test_exported_crops_are_blurred_only_at_the_head(tmp_path):
    from tests.helpers import write_reid_store
    from tracking.render import HEAD_FRACTION
    from tracking.store import TrackletStore

    rng = np.random.default_rng(1)
    crop = rng.integers(0, 255, (128, 64, 3), dtype=np.uint8)
    from tracking.render import blur_crop_head

    out = blur_crop_head(crop, 0.05)  # extract's margin 0.05: the head's rows end at 128 * 0.27 / 1.1 = 31.4
    changed = np.flatnonzero((out != crop).any(axis=(1, 2)))
    assert changed.min() == 0 and changed.max() == 31 and HEAD_FRACTION == 0.22

    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=2, crop_hw=(128, 64))
    assert main(["export-dataset", str(store), "-o", str(tmp_path / "b"), "--blur-faces", "-q"]) == 0
    first = sorted((tmp_path / "b" / "bbox_train").rglob("*.jpg"))[0]
    img = cv2.imread(str(first))[:, :, ::-1]
    src = TrackletStore(store).crop("cam1", 0)
    diff = np.abs(img.astype(int) - src).max(axis=2)
    assert diff[:28].mean() > diff[40:].mean()  # the head rows changed, the body only by re-encoding
