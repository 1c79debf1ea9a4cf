"""Camera frame sources: one video, several videos played as one timeline, or an image sequence.

Decoding runs in a background thread (OpenCV releases the GIL while decoding), so a detector on
the main thread never waits for the decoder.
"""
from __future__ import annotations

import configparser
import queue
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from tracklet_reid.errors import InputError

VIDEO_EXTS = {".avi", ".mp4", ".mkv", ".mov", ".mpg", ".mpeg", ".m4v", ".wmv", ".webm", ".ts", ".mjpeg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
# Consecutive unreadable frames after which a video is taken to have ended (a truncated file).
MAX_CONSECUTIVE_BAD = 25


@dataclass
class CameraSource:
    name: str
    kind: str  # "video" | "images"
    paths: list[Path]
    fps: float | None = None
    frame_count: int | None = None
    frame_size: tuple[int, int] | None = None  # (width, height)
    warnings: list[str] = field(default_factory=list)
    # image sequences: each image's 0-based frame index, from the number in its file name
    numbers: list[int] | None = None

    def probe(self) -> "CameraSource":
        """Fill fps, frame count and size; raise InputError when nothing can be read."""
        import cv2

        if self.kind == "images":
            first = cv2.imread(str(self.paths[0]))
            if first is None:
                raise InputError(f"{self.paths[0]}: unreadable image")
            numbers = self._frame_numbers()
            self.frame_count = numbers[-1] + 1 if numbers else 0
            self.frame_size = (first.shape[1], first.shape[0])
            if self.fps is None:
                self.fps = seqinfo_fps(self.paths[0].parent.parent / "seqinfo.ini")
            return self
        total, fps = 0, None
        for p in self.paths:
            cap = cv2.VideoCapture(str(p))
            try:
                if not cap.isOpened():
                    raise InputError(f"{p}: unreadable video (not a video, or a codec OpenCV lacks)")
                ok, frame = cap.read()
                if not ok:
                    raise InputError(f"{p}: video holds no readable frame")
                if self.frame_size is None:
                    self.frame_size = (frame.shape[1], frame.shape[0])
                elif self.frame_size != (frame.shape[1], frame.shape[0]):
                    raise InputError(f"{p}: frame size {frame.shape[1]}x{frame.shape[0]} differs from the "
                                     f"camera's first video ({self.frame_size[0]}x{self.frame_size[1]})")
                total += max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
                fps = fps or (cap.get(cv2.CAP_PROP_FPS) or None)
            finally:
                cap.release()
        self.frame_count = total or None
        if self.fps is None:
            self.fps = fps
        return self

    def frames(self, prefetch: int = 16) -> Iterator[tuple[int, np.ndarray]]:
        """(0-based frame index, BGR frame), decoded ahead in a thread. Unreadable frames are
        skipped (their index is not reused, so frame numbers stay aligned with the video) and
        reported once in ``self.warnings``."""
        q: queue.Queue = queue.Queue(maxsize=prefetch)
        stop = threading.Event()
        errors: list[BaseException] = []

        def produce() -> None:
            try:
                for item in self._decode():
                    while not stop.is_set():
                        try:
                            q.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            except BaseException as exc:  # handed to the consumer, raised there
                errors.append(exc)
            finally:
                q.put(None)

        t = threading.Thread(target=produce, name=f"decode-{self.name}", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is None:
                    break
                yield item
        finally:
            stop.set()
            while t.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    t.join(0.05)
        if errors:
            raise errors[0]

    def _decode(self) -> Iterator[tuple[int, np.ndarray]]:
        import cv2

        if self.kind == "images":
            bad = []
            numbers = self._frame_numbers()
            for i, p in enumerate(self.paths):
                img = cv2.imread(str(p))
                if img is None:
                    bad.append(i)
                    continue
                yield numbers[i], img
            if bad:
                self._warn(f"{len(bad)} unreadable image(s) skipped, first {self.paths[bad[0]]}")
            return
        index = 0
        for p in self.paths:
            cap = cv2.VideoCapture(str(p))
            expected = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
            read, bad, run = 0, [], 0
            start = index
            while True:
                ok, frame = cap.read()
                if ok:
                    run = 0
                    read += 1
                    yield index, frame
                    index += 1
                    continue
                # A failed read is a corrupt frame when the header promises more, else the end.
                if index - start >= expected or run >= MAX_CONSECUTIVE_BAD:
                    break
                run += 1
                bad.append(index)
                index += 1
            cap.release()
            index -= run  # trailing failures were the end of the file, not frames
            real_bad = bad[: len(bad) - run] if run else bad
            if real_bad:
                self._warn(f"{p}: {len(real_bad)} corrupt frame(s) skipped (first at frame {real_bad[0]})")
            if expected and read + len(real_bad) < expected:
                self._warn(f"{p}: video ends early: {read + len(real_bad)} of {expected} frames readable; "
                           "kept what was read")

    def _frame_numbers(self) -> list[int]:
        """An image sequence's frame numbers (from the file names), with ``paths`` put in frame
        order; worked out once, with one warning about gaps."""
        if self.numbers is None:
            self.paths, self.numbers, note = image_frame_numbers(self.paths)
            if note:
                self._warn(f"camera {self.name}: {note}")
        return self.numbers

    def _warn(self, msg: str) -> None:
        self.warnings.append(msg)
        warnings.warn(msg)


def image_frame_numbers(paths: list[Path]) -> tuple[list[Path], list[int], str | None]:
    """(paths in frame order, 0-based frame index of each, a note on gaps or None).

    The frame is the number at the end of the file name (MOTChallenge `000001.jpg` is frame 1,
    index 0; a sequence with a `...0` image counts from 0): a missing image leaves a gap instead of
    shifting every later frame against the ground truth and the other cameras. Names without a
    number, or with one number twice, fall back to name order, with a note."""
    import re

    found = [re.search(r"(\d+)$", p.stem) for p in paths]
    if not paths or any(m is None for m in found):
        return list(paths), list(range(len(paths))), (
            "image names without a frame number: frames numbered in name order" if paths else None)
    raw = [int(m.group(1)) for m in found if m is not None]
    if len(set(raw)) != len(raw):
        return list(paths), list(range(len(paths))), "a frame number used by two images: frames numbered in name order"
    order = sorted(range(len(paths)), key=raw.__getitem__)
    base = 0 if min(raw) == 0 else 1
    numbers = [raw[i] - base for i in order]
    missing = numbers[-1] + 1 - len(numbers)
    note = None
    if missing:
        gap = next(n for n, (a, b) in enumerate(zip([-1, *numbers], numbers)) if b != a + 1)
        note = (f"{missing} frame(s) missing from the image sequence (first gap before "
                f"{paths[order[gap]].name}); the others keep the frame numbers in their names")
    return [paths[i] for i in order], numbers, note


def checked_fps(fps: float | None) -> float | None:
    """``fps`` as given by a user (None: the video's own), or one line when it is not a rate."""
    import math

    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"--fps {fps}: a frame rate must be a positive number")
    return fps


def seqinfo_fps(path: Path) -> float | None:
    if not path.is_file():
        return None
    cp = configparser.ConfigParser()
    try:
        cp.read(path)
        return float(cp["Sequence"]["frameRate"])
    except (KeyError, ValueError, configparser.Error):
        return None


def discover_cameras(folder: str | Path) -> list[CameraSource]:
    """Cameras in `folder`: `<camera>.<video ext>`, `<camera>/` holding videos (one timeline, name
    order) or images (`<camera>/img1/*.jpg`, MOTChallenge style, or images directly)."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (expected one video or folder per camera inside)")
    cams: list[CameraSource] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() in VIDEO_EXTS:
            cams.append(CameraSource(entry.stem, "video", [entry]))
        elif entry.is_dir():
            img_dir = entry / "img1" if (entry / "img1").is_dir() else entry
            images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS)
            videos = sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTS)
            if videos:
                cams.append(CameraSource(entry.name, "video", videos))
            elif images:
                cams.append(CameraSource(entry.name, "images", images))
    names = [c.name for c in cams]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(f"{folder}: camera name(s) {', '.join(sorted(dup))} given twice (file and folder?)")
    if not cams:
        raise InputError(f"{folder}: no cameras found (expected <camera>.avi/.mp4, or <camera>/ with "
                         "videos or an img1/ image sequence)")
    return cams


def content_digest(paths: list[Path]) -> str:
    """What the videos hold, cheaply: SHA-1 over each file's name, size and first and last 64 KB. A
    video re-recorded at the same path (same name, even the same length) differs in its bytes, and a
    resume must not count the old extraction of it as done; hashing whole files would cost minutes
    per camera on hours of video."""
    import hashlib

    h = hashlib.sha1()
    for p in sorted(paths, key=lambda p: p.name):
        try:
            size = p.stat().st_size
            with open(p, "rb") as fh:
                head = fh.read(1 << 16)
                fh.seek(max(size - (1 << 16), 0))
                tail = fh.read(1 << 16)
        except OSError:
            size, head, tail = -1, b"", b""
        h.update(f"{p.name}\0{size}\0".encode() + head + tail)
    return h.hexdigest()
