"""Every HTML report is self-contained: each picture it shows is inlined and decodes."""
from __future__ import annotations

import base64
import re

import cv2
import numpy as np

from pipeline.cli import main
from tests.helpers import write_reid_store

IMG = re.compile(r'<img [^>]*src="([^"]*)"')


def _pictures(page) -> list[np.ndarray]:
    out = []
    for src in IMG.findall(page.read_text()):
        assert src.startswith("data:image/jpeg;base64,"), f"{page}: an external picture {src[:60]}"
        img = cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.size > 0, f"{page}: a picture that does not decode"
        out.append(img)
    return out


def test_merge_match_and_search_pages_show_their_pictures(tmp_path):
    store = write_reid_store(tmp_path / "s.h5", cameras=2, identities=3)
    for argv in (["merge", str(store), "--model", "colour", "-o", str(tmp_path / "merge"), "--baseline", "none"],
                 ["match", str(store), "--model", "colour", "-o", str(tmp_path / "match"), "--baseline", "none"],
                 ["search", str(store), "--model", "colour", "--tracklet", "cam1:0", "-o", str(tmp_path / "search")]):
        assert main([*argv, "-q"]) == 0
    for page in (tmp_path / "merge" / "report.html", tmp_path / "match" / "report.html",
                 tmp_path / "search" / "search.html"):
        assert len(_pictures(page)) >= 2
    # --blur-faces: the same pages, every picture's head rows blurred
    assert main(["match", str(store), "--model", "colour", "-o", str(tmp_path / "blurred"), "--baseline", "none",
                 "--blur-faces", "-q"]) == 0
    plain, blurred = _pictures(tmp_path / "match" / "report.html"), _pictures(tmp_path / "blurred" / "report.html")
    assert len(plain) == len(blurred) and any((a != b).any() for a, b in zip(plain, blurred))
