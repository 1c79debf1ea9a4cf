"""Merge's continuation rule (reid/association/continuation.py): which tracklet continues which
within one camera, from densities read off the camera's own tracklets."""
from __future__ import annotations

import numpy as np
import torch

from reid.association.config import MergeConfig
from reid.association.continuation import CameraTracklets, link_network
from reid.association.network import merge_cameras
from reid.models.embedding import embed_store
from tests.helpers import write_reid_store


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _camera(rng: np.random.Generator, people: int = 40, fragmented: tuple[int, ...] = (0,),
            twin_far: bool = False) -> tuple[CameraTracklets, np.ndarray]:
    """One camera: ``people`` walkers, each one tracklet of 60-120 frames starting at random,
    crossing the picture; the ``fragmented`` ones lost for 10 frames halfway (two tracklets, the
    second starting near where the first ended). ``twin_far``: person 1 looks exactly like person
    0 and appears 10 frames after person 0's first part ends, on the far side of the picture.
    Returns the camera and each tracklet's person."""
    D = 32
    looks = _unit(rng.normal(size=(people, D)))
    if twin_far:
        looks[1] = looks[0]
    rows = []
    for p in range(people):
        start, length = int(rng.integers(0, 1500)), int(rng.integers(60, 120))
        a = rng.uniform(0.05, 0.95, 2)
        b = rng.uniform(0.05, 0.95, 2)
        if p in fragmented:
            mid = start + length // 2
            half = a + (b - a) / 2
            rows.append((p, start, mid, a, half))
            rows.append((p, mid + 10, start + length, half + 0.01, b))
        else:
            rows.append((p, start, start + length, a, b))
    if twin_far:
        p0_end = next(r for r in rows if r[0] == 0)[2]
        far = 1.0 - next(r for r in rows if r[0] == 0)[4]
        rows = [r for r in rows if r[0] != 1] + [(1, p0_end + 10, p0_end + 90, far, far + 0.05)]
    who = np.array([r[0] for r in rows])

    def noise() -> np.ndarray:
        return rng.normal(scale=0.12, size=(len(rows), D))

    feats = _unit(looks[who] + noise())
    thirds = _unit(np.stack([looks[who] + noise(), looks[who] + noise()], axis=1))
    cam = CameraTracklets(feats, thirds, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                          np.array([r[3] for r in rows]), np.array([r[4] for r in rows]))
    return cam, who


def _neighbours(cam: CameraTracklets, k: int = 8) -> np.ndarray:
    d = -cam.features @ cam.features.T
    return np.argsort(d, axis=1)[:, :k]


def test_a_person_lost_for_a_moment_is_joined_and_nobody_else():
    rng = np.random.default_rng(0)
    cam, who = _camera(rng, fragmented=(0, 5, 9))
    labels = link_network([cam], [_neighbours(cam)])[0].labels
    for p in (0, 5, 9):
        assert len(set(labels[who == p])) == 1, f"person {p}'s two parts were not joined"
    # no two people share a trajectory
    for lab in np.unique(labels):
        assert len(set(who[labels == lab])) == 1


def test_no_fragments_means_no_links():
    """The failure of the affinity graph (every tracklet has a nearest neighbour): a camera where
    the tracker lost nobody must come out unmerged."""
    rng = np.random.default_rng(1)
    cam, _ = _camera(rng, fragmented=())
    r = link_network([cam], [_neighbours(cam)])[0]
    assert r.links == 0 and len(np.unique(r.labels)) == len(cam)


def test_a_look_alike_on_the_far_side_is_not_the_same_person():
    rng = np.random.default_rng(2)
    cam, who = _camera(rng, fragmented=(0,), twin_far=True)
    labels = link_network([cam], [_neighbours(cam)])[0].labels
    assert len(set(labels[who == 0])) == 1  # the fragment near where it was lost wins
    assert not set(labels[who == 1]) & set(labels[who == 0])


def test_trajectories_are_chains_that_never_overlap_in_time():
    rng = np.random.default_rng(3)
    cam, _ = _camera(rng, people=60, fragmented=tuple(range(0, 60, 3)))
    labels = link_network([cam], [_neighbours(cam)])[0].labels
    for lab in np.unique(labels):
        m = np.flatnonzero(labels == lab)
        order = m[np.argsort(cam.first[m])]
        assert (cam.first[order][1:] > cam.last[order][:-1]).all()


def test_merge_reads_the_thirds_embedding_gives(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=4, tracklets_per_id=2)
    tf = embed_store(store, "colour", thirds=True)
    assert tf.thirds is not None and tf.thirds.shape == (tf.index.num_tracklets, 2, tf.features.shape[1])
    many = tf.index.crop_count >= 3
    # a tracklet of three frames or more has both thirds
    assert torch.isfinite(tf.thirds[torch.from_numpy(many)]).all()
    with_parts = merge_cameras(tf.features, tf.index, MergeConfig(), thirds=tf.thirds)
    without = merge_cameras(tf.features, tf.index, MergeConfig())
    assert {c["rule"] for c in with_parts.cameras} == {"continuation"}
    assert {c["rule"] for c in without.cameras} == {"affinity"}
    assert len(with_parts.labels) == tf.index.num_tracklets


def test_the_oracle_chains_one_identity_per_camera_and_never_overlaps():
    from reid.eval.association import oracle_trajectories
    from reid.tracklet_index import TrackletIndex

    # camera 0: person 7 in three parts, the second overlapping the first (a duplicate track);
    # person 8 once; an unlabelled tracklet. Camera 1: person 7 again (another camera: apart)
    gt = np.array([7, 7, 7, 8, -1, 7])
    first = np.array([0, 5, 30, 0, 40, 0])
    last = np.array([10, 20, 50, 60, 45, 10])
    n = len(gt)
    idx = TrackletIndex(["a", "b"], [slice(0, 5), slice(5, 6)], np.array([0, 0, 0, 0, 0, 1]), np.arange(n),
                        np.zeros(n, np.int64), np.ones(n, np.int64), gt, first, last)
    labels = oracle_trajectories(idx)
    assert labels[0] == labels[2] != labels[1]  # part 3 joins part 1; the overlapping duplicate cannot
    assert len(set(labels)) == 5  # {0, 2}, {1}, {3}, {4}, {5}
