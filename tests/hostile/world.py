"""The material the hostile-input cases run on: small stores, models, videos and planted files,
built once per test session in one folder (each case copies what it would change)."""
from __future__ import annotations

import os
import pickle
import shutil
from functools import cached_property
from pathlib import Path

import numpy as np

from tests.helpers import make_camera_video, write_det_txt, write_reid_store, write_store

# the planted pickles' payload: creating this file is the proof that code ran
MARKER = "PAYLOAD-RAN"


class Payload:
    """Unpickling this calls os.system: what a planted model file would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class World:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def fresh(self, name: str) -> Path:
        """A new empty folder for one case."""
        p = self.root / "cases" / name
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
        return p

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @cached_property
    def store(self) -> Path:
        return write_reid_store(self.root / "reid.h5", cameras=3, identities=4, tracklets_per_id=2)

    @cached_property
    def quiet_store(self) -> Path:
        """Cameras with 1, 2 and 3 tracklets: merge finds no link above the threshold in most."""
        return write_store(self.root / "quiet.h5", cameras={"c1": [3], "c2": [4, 3], "c3": [5, 5, 5]})

    @cached_property
    def tiny_model(self) -> Path:
        return self._model("tiny-model", nan=False)

    @cached_property
    def nan_model(self) -> Path:
        return self._model("nan-model", nan=True)

    def _model(self, name: str, nan: bool) -> Path:
        import torch

        from reid.models.embedding import save_model
        from reid.models.network import Embedder, ModelConfig

        cfg = ModelConfig("mobilenet_v2", None, 16)
        emb = Embedder(cfg)
        if nan:
            with torch.no_grad():
                emb.fc.weight.fill_(float("nan"))
        save_model(emb, cfg, (64, 32), self.root / name, {"learn_config": {"backbone": "mobilenet_v2"}})
        return self.root / name

    @cached_property
    def videos(self) -> Path:
        """Two cameras of 40 frames with det.txt beside them (videos in cams/, detections in dets/)."""
        cams, dets = self.root / "cams", self.root / "dets"
        cams.mkdir()
        for name in ("north", "south"):
            gt = make_camera_video(cams / f"{name}.avi", n_frames=40, people=((5, 20, 2, 0), (140, 60, -2, 0)))
            write_det_txt(dets / f"{name}.txt", gt)
            write_det_txt(self.root / "gt" / f"{name}.txt", gt)
        return cams

    @cached_property
    def damaged_videos(self) -> Path:
        """`videos` with south.avi cut to 60 % of its bytes (the camera's warnings come from a worker)."""
        cams = self.root / "damaged-cams"
        cams.mkdir()
        shutil.copy(self.videos / "north.avi", cams / "north.avi")
        data = (self.videos / "south.avi").read_bytes()
        (cams / "south.avi").write_bytes(data[: int(len(data) * 0.6)])
        return cams

    @cached_property
    def extracted(self) -> Path:
        """extract's store and MOT output for `videos`."""
        from pipeline.cli import main

        out = self.root / "extracted"
        assert main(["extract", "--videos", str(self.videos), "--detector", "file", "--detections",
                     str(self.root / "dets"), "-o", str(out / "t.h5"), "--mot-out", str(out / "mot"), "-q"]) == 0
        return out

    def planted(self, kind: str) -> Path:
        """A planted file: `pickle` (plain pickle), `zip` (torch.save of the payload) or `checkpoint`
        (a learn folder whose checkpoint carries it)."""
        import torch

        d = self.root / f"planted-{kind}"
        if d.exists():
            return d
        d.mkdir()
        payload = Payload(self.marker)
        if kind == "pickle":
            (d / "model.pt").write_bytes(pickle.dumps({"format": "tracklet-reid/model", "state": payload}))
        elif kind == "zip":
            torch.save({"format": "tracklet-reid/model", "state": payload}, d / "model.pt")
        else:
            (d / "checkpoints").mkdir()
            torch.save({"epoch": 0, "net": payload}, d / "checkpoints" / "last.pt")
        return d

    @cached_property
    def benchmark(self) -> Path:
        """A query/gallery benchmark store whose query identities are absent from the gallery."""
        from tracking.store import StoreWriter, TrackletSet

        path = self.root / "bench.h5"
        rng = np.random.default_rng(0)
        with StoreWriter(path, crop_hw=(32, 16)) as w:
            w.set_attrs(benchmark="fake", junk_ids=[])
            for cam, (pid, role) in enumerate(((1, TrackletSet.QUERY), (2, TrackletSet.GALLERY))):
                cw = w.camera(f"c{cam}")
                crops = rng.integers(0, 255, (2, 32, 16, 3), dtype=np.uint8)
                cw.add_tracklet(crops, [0, 1], np.zeros((2, 4)), np.ones(2), 0, gt_identity=pid)
                cw.add_tracklet_column("tracklet_set", np.array([int(role)], np.uint8))
                cw.finish()
        return path

    def image_sequence(self, missing: tuple[int, ...]) -> Path:
        """One camera as a MOTChallenge image sequence (000001.jpg ...), with some images missing."""
        import cv2

        cams = self.fresh(f"images-{'-'.join(map(str, missing))}") / "cams"
        img_dir = cams / "cam" / "img1"
        img_dir.mkdir(parents=True)
        video = self.root / "seq-source.avi"
        gt = make_camera_video(video, n_frames=30, people=((5, 20, 2, 0),))
        cap = cv2.VideoCapture(str(video))
        for f in range(30):
            ok, frame = cap.read()
            if ok and f not in missing:
                cv2.imwrite(str(img_dir / f"{f + 1:06d}.jpg"), frame)
        cap.release()
        write_det_txt(cams.parent / "dets" / "cam.txt", gt)
        return cams
